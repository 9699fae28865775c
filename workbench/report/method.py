"""How a comparison was run and what it does not model, from the run record and the rows (pure).

Each limit is a line the data supports: a limit is listed because of what the
rows hold (every time is on this machine, every target was local), not as
boilerplate that is true of any run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..units import format_bytes
from ..workload.profile import DATASETS_DIR

SCENARIOS_DIR = DATASETS_DIR / "scenarios"


def scenario_summary(name: str) -> str:
    """The shipped scenario's own summary line ('' for a scenario file the report cannot see)."""
    path = SCENARIOS_DIR / f"{name}.yaml"
    if not path.is_file():
        return ""
    data = yaml.safe_load(path.read_text()) or {}
    return " ".join(str(data.get("summary", "")).split())


def method(frame: pd.DataFrame, record: dict[str, Any]) -> dict[str, str]:
    """The run's settings in words: profile, sizes, schedules, seed, repetitions, engines, machine."""
    size, disk = record.get("data_size_bytes"), record.get("disk_size_bytes")
    schedules = record.get("schedules") or {}
    engines = sorted(set(frame.get("engine", pd.Series(dtype=str)).dropna().astype(str)) - {""})
    machine = record.get("machine") or {}
    return {
        "profile": str(record.get("profile") or ", ".join(sorted(set(frame["profile"].astype(str))))),
        "data size": format_bytes(size) if size else "the profile's default",
        "disk size": format_bytes(disk) if disk else "the profile's default",
        "schedules": (", ".join(f"{k}={v}" for k, v in schedules.items()) + " (overridden); the others "
                      "their strategy's default") if schedules else "every strategy's default schedule",
        "seed": str(record.get("seed", sorted(set(frame["seed"].astype(str))))),
        "repetitions": str(record.get("repeat", int(frame["repetition"].max()))),
        "engines": ", ".join(engines) or "workbench",
        "machine": ", ".join(f"{k} {format_bytes(v) if k == 'memory_bytes' else v}" for k, v in machine.items())
                   or "not recorded",
        "run": f"{record.get('started') or '?'} to {record.get('finished') or '(not finished)'}",
    }


def limits(frame: pd.DataFrame, record: dict[str, Any]) -> list[str]:
    """What the run does not model, a line each, from what the rows and the record say."""
    lines = ["Hours are simulated: the schedules and the faults run on the scenario's clock, so RPO follows "
             "from the schedule, not from this machine's speed.",
             "Times (protect, RTO) are real seconds on this machine's loop disks, with small data; compare "
             "strategies with each other rather than reading them as a promise for a real disk.",
             "No network targets: every target was a folder or a disk image on this machine, so no bandwidth, "
             "latency or remote failure is in any number."]
    size = record.get("data_size_bytes")
    if size:
        lines.append(f"Each cell protected {format_bytes(size)} of generated data from the profile; real data "
                     f"compresses and deduplicates differently.")
    repeat = int(record.get("repeat") or frame["repetition"].max())
    if repeat < 2:
        lines.append("One repetition per cell: the timings have no spread to show.")
    scenarios = sorted(set(frame["scenario"].astype(str)))
    lines.append(f"Only the faults measured here ({', '.join(scenarios)}); a strategy's answer to any other "
                 f"fault is not in these results.")
    return lines


def relative_link(target: Path, page: Path) -> str:
    """``target`` as a link from a page written at ``page`` (a relative path, '/' separated)."""
    return Path(os.path.relpath(target, page.parent)).as_posix()
