"""Results a notebook reads: a folder written by ``workbench compare``, or one measured now.

Every call of lab's that may run the strategy x scenario matrix is in this module
(through ``workbench.advice.explore``), so moving to the command functions of
``workbench.commands`` changes one place. Measuring needs root (loop disks); reading never does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..advice import explore
from ..experiment.cell import strategy_label
from ..report import tables
from ..results.store import load_results as read_folder
from ..strategies.catalog import names
from ..units import parse_size


@dataclass(frozen=True)
class Results:
    """One results folder: its rows (one per cell and repetition) and its run record."""

    folder: Path
    rows: pd.DataFrame
    record: dict[str, Any]
    note: str = ""  # why these are not the results asked for ('' when they are)

    @property
    def ok(self) -> pd.DataFrame:
        """The rows whose cell ran to the end (a failed cell is a row too, with its error)."""
        return self.rows[self.rows["status"].astype(str) == "ok"]

    def describe(self) -> str:
        """One line of Markdown: where the results come from and what made them."""
        record = self.record
        return (f"Results from **{self.folder}**: {len(self.rows)} rows ({len(self.ok)} ok), profile "
                f"`{record.get('profile', '?')}`, workbench {record.get('versions', {}).get('workbench', '?')}, "
                f"run {record.get('started', '?')}.")

    def details_files(self, strategy: str, scenario: str) -> list[Path]:
        """The per-cell details files (``cells/*.json``: protect runs, recovery, every entry not intact)
        of ``strategy`` (any variant; ``backup`` is our engine, ``backup/restic`` restic's) on ``scenario``;
        empty when the folder keeps only the tables."""
        prefix = strategy_label(strategy)
        others = [label for name in names() if name != strategy
                  and (label := strategy_label(name)).startswith(prefix)]
        found = Path(self.folder, "cells").glob(f"{prefix}*__{scenario}__r*.json")
        return sorted(path for path in found
                      if not any(path.name.startswith((f"{other}-", f"{other}__")) for other in others))

    def boots(self) -> pd.DataFrame:
        """The boots of ``compare --boot-check``, one row per cell that booted its recovered disk (by the
        cell's label, ``image__partition-wipe__r1``): the verdict, how far it got, its seconds and the
        console's last lines, from the cells' details; empty when no cell booted one."""
        found = {}
        for details in sorted(Path(self.folder, "cells").glob("*.json")):
            boot = json.loads(details.read_text()).get("boot", {})
            if "seconds" in boot:  # a boot ran (a disk whose boot area stayed as it was keeps the byte check)
                found[details.stem] = {name: boot[name] for name in ("verdict", "stage", "seconds", "last_lines")}
        return pd.DataFrame.from_dict(found, orient="index",
                                      columns=["verdict", "stage", "seconds", "last_lines"]).rename_axis("cell")


def read_results(folder: str | Path, *, note: str = "") -> Results:
    """The results in ``folder`` (``results.parquet`` or ``results.csv``, and ``run.json``)."""
    rows, record = read_folder(folder)
    return Results(Path(folder), rows, record, note)


def load_results(given: str | Path | None = None, *, profile: str = "classroom",
                 data_size: str | int | None = None) -> Results:  # fmt: skip
    """The folder ``given``; else the shipped example (``examples/classroom``); else a small
    comparison of ``profile`` at ``data_size``, measured now (needs root)."""
    size = parse_size(data_size) if data_size else None
    return read_results(explore.results_folder(given, profile=profile, data_size=size))


def compare(out: str | Path, *, strategies: Sequence[str] = explore.EXPLORER_STRATEGIES,
            scenarios: Sequence[str] = explore.SMALL_SCENARIOS, profile: str = "classroom",
            data_size: str | int | None = None, seed: int = 1, quiet: bool | None = None) -> Results:  # fmt: skip
    """Measure every strategy on every scenario into ``out`` (a workspace folder), as
    ``workbench compare`` does, and read the results. Needs root. A folder that already
    holds the same finished run is read as it is."""
    size = parse_size(data_size) if data_size else None
    return read_results(explore.run_comparison(out, strategies=strategies, scenarios=scenarios, profile=profile,
                                               data_size=size, seed=seed, quiet=quiet))


def explorer_results(given: str | Path | None) -> Results:
    """What the explorer weighs: the folder ``given``, else the shipped example (its ``note`` says so).
    Reading never measures; ``measure_workload`` does."""
    source = explore.explorer_results(given)
    return read_results(source.folder, note=source.note)


def measure_workload(*, profile: str, data_size: str, change_factor: float, threats: Sequence[str]) -> Results:
    """The explorer's strategies measured now on ``threats`` for this workload (``change_factor`` scales the
    profile's daily churn), as ``workbench compare`` would. Needs root; a workload measured before is read."""
    return read_results(explore.measure_workload(profile=profile, data_size=data_size, change_factor=change_factor,
                                                 threats=threats))


def can_measure() -> bool:
    """Whether this process may measure (loop disks need root)."""
    return explore.can_measure()


def cell_grid(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """Strategies x scenarios: each cell's median of ``column`` over its repetitions (NaN: not run)."""
    return tables.pivot(tables.summary(rows), column)
