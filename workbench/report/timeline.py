"""A scenario's timeline, one lane per strategy: its protect runs, the fault, when it was noticed, and the
restore point the recovery used (pure: rows and cell details in, lanes out).

Hours are simulated, counted from day 0 00:00 as ``fault_hour`` and ``detect_hour`` are.
The protect runs come from the cell details a results folder keeps (``cells/*.json``);
their times are ISO timestamps on the scenario's clock, placed on the hour axis through
the fault record that carries the simulated time of ``fault_hour`` (the scenario's clock
starts at a midnight, so that record is the one whose time less ``fault_hour`` is one). Without
the details a lane still shows the fault, the detection and the restore point, and says
that its runs are not known. The restore point is the state the restored files agree with,
``fault_hour - rpo_hours``: missing when nothing true came back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from . import tables
from .style import strategy_order


@dataclass(frozen=True)
class Lane:
    """One strategy's line in a scenario's timeline (its first repetition that finished)."""

    label: str
    protect_hours: tuple[float, ...]  # each protect run that made a point
    failed_hours: tuple[float, ...]  # each protect run that failed
    runs_known: bool  # False: no cell details, so only the count of runs is known
    protect_runs: int  # the row's count, which the ticks match when the details are there
    fault_hour: float
    detect_hour: float
    restore_hour: float | None  # None: nothing true came back
    restore_point_time: str


def details_names(strategy: str, engine: str, variant: str, scenario: str, repetition: int) -> list[str]:
    """The names ``compare`` may have given a row's details file: the strategy as typed, ':' and '/' as '-';
    a default variant is not typed, so the name without it is tried too."""
    typed = strategy if engine in ("", "workbench") else f"{strategy}-{engine}"
    heads = [f"{typed}-{variant}", typed] if variant else [typed]
    return [f"{head}__{scenario}__r{repetition}" for head in heads]


def read_details(folder: Path) -> dict[str, dict[str, Any]]:
    """Every cell's details in a results folder (``cells/*.json``), by cell name; empty when there are none."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(folder, "cells").glob("*.json")):
        details = json.loads(path.read_text())
        found[str(details.get("cell", path.stem))] = details
    return found


def _hours(details: Mapping[str, Any], fault_hour: float) -> tuple[list[float], list[float]] | None:
    """(hours of the runs that made a point, hours of the failed ones), or None when they cannot be placed."""
    origins = [datetime.fromisoformat(f["time"]) - timedelta(hours=fault_hour)
               for f in details.get("faults") or [] if "time" in f]
    midnights = [o for o in origins if (o.hour, o.minute, o.second) == (0, 0, 0)]
    if not midnights:
        return None
    origin = midnights[0].timestamp()
    made: list[float] = []
    failed: list[float] = []
    for run in details.get("protect_runs", []):
        hour = (datetime.fromisoformat(run["time"]).timestamp() - origin) / 3600
        (failed if "error" in run else made).append(round(hour, 3))
    return made, failed


def lanes(frame: pd.DataFrame, scenario: str, details: Mapping[str, Mapping[str, Any]]) -> list[Lane]:
    """The lanes of one scenario, strategies in display order."""
    derived = tables.with_derived(frame)
    rows = derived[(derived["scenario"].astype(str) == scenario) & derived["ok"]].sort_values("repetition")
    out = []
    for label in strategy_order(rows["label"]):
        row = next(tables.rows_of(rows[rows["label"] == label]))
        fault, detect = float(row.fault_hour), float(row.detect_hour)
        found = next((details[n] for n in details_names(str(row.strategy), str(row.engine or ""),
                                                        str(row.variant or ""), scenario, int(row.repetition))
                      if n in details), None)
        placed = _hours(found, fault) if found is not None else None
        rpo = float(row.rpo_hours) if pd.notna(row.rpo_hours) else math.nan
        restore = None if math.isnan(rpo) else fault - rpo
        point = str(row.restore_point_time) if pd.notna(row.restore_point_time) else ""
        out.append(Lane(label, tuple(placed[0]) if placed else (), tuple(placed[1]) if placed else (),
                        placed is not None, int(row.protect_runs), fault, detect, restore, point))
    return out
