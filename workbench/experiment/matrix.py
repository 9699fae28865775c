"""Running the strategy x scenario matrix and saving rows as they come."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import workspace
from ..results.schema import Row
from ..results.store import ResultsWriter, RunRecord
from .provenance import machine_facts, versions
from .runner import Cell, run_cell
from .scenario import load_scenario
from .sizing import sizes_for

#: Called after each cell with (cells done, cells in all, the row just made).
OnCell = Callable[[int, int, Row], None]


def plan_cells(strategies: Sequence[str], scenarios: Sequence[str], *, profile: str, data_size: int | None,
               seed: int, repeat: int, schedules: dict[str, str] | None = None, fill: float | None = None,
               disk_size: int | None = None) -> list[Cell]:
    """Every cell; with ``fill``, pass the ``disk_size`` the run record found, so it is sized once, not per cell."""
    loaded = [load_scenario(name) for name in scenarios]
    return [Cell(strategy, scenario, profile=profile, data_size=data_size, seed=seed, repetition=rep,
                 schedules=dict(schedules or {}), fill=fill, disk_size=disk_size)
            for rep, scenario, strategy in itertools.product(range(1, repeat + 1), loaded, strategies)]


def run_record(*, profile: str, data_size: int | None, seed: int, repeat: int, strategies: Sequence[str],
               scenarios: Sequence[str], schedules: dict[str, str] | None = None,
               fill: float | None = None) -> RunRecord:
    """The run record of a matrix: the sizes its cells really use (the profile's default data size when none
    is given; with ``fill``, the disk found for it: see ``experiment.sizing``), and the software and machine
    that run them."""
    data_bytes, disk_bytes = sizes_for(profile, data_size, fill=fill, seed=seed,
                                       scenarios=[load_scenario(name) for name in scenarios])
    return RunRecord(profile=profile, data_size_bytes=data_bytes, disk_size_bytes=disk_bytes, fill=fill, seed=seed,
                     repeat=repeat, strategies=list(strategies), scenarios=list(scenarios),
                     schedules=dict(schedules or {}), versions=versions(strategies),
                     machine=machine_facts())


def run_matrix(cells: list[Cell], out: Path, record: RunRecord, on_cell: OnCell | None = None) -> list[Row]:
    """Run every cell (a failed one becomes a failed row), writing results into ``out`` as it goes."""
    writer = ResultsWriter(out, record)
    scratch = workspace.home() / "experiments" / out.name
    rows: list[Row] = []
    try:
        for index, cell in enumerate(cells, start=1):
            row = run_cell(cell, scratch / cell.label, details_dir=out / "cells")
            rows.append(row)
            writer.add(row)
            if on_cell:
                on_cell(index, len(cells), row)
    finally:
        writer.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return rows
