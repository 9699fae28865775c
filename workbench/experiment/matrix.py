"""Running the strategy x scenario matrix and saving rows as they come."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import workspace
from ..results.store import ResultsWriter, RunRecord
from .runner import Cell, run_cell
from .scenario import load_scenario

#: Called after each cell with (cells done, cells in all, the row just made).
OnCell = Callable[[int, int, dict], None]


def plan_cells(strategies: Sequence[str], scenarios: Sequence[str], *, profile: str, data_size: int | None,
               seed: int, repeat: int, schedules: dict[str, str] | None = None) -> list[Cell]:
    loaded = [load_scenario(name) for name in scenarios]
    return [Cell(strategy, scenario, profile=profile, data_size=data_size, seed=seed, repetition=rep,
                 schedules=dict(schedules or {}))
            for rep, scenario, strategy in itertools.product(range(1, repeat + 1), loaded, strategies)]


def run_matrix(cells: list[Cell], out: Path, record: RunRecord, on_cell: OnCell | None = None) -> list[dict]:
    """Run every cell (a failed one becomes a failed row), writing results into ``out`` as it goes."""
    writer = ResultsWriter(out, record)
    scratch = workspace.home() / "experiments" / out.name
    try:
        for index, cell in enumerate(cells, start=1):
            row = run_cell(cell, scratch / cell.label, details_dir=out / "cells")
            writer.add(row)
            if on_cell:
                on_cell(index, len(cells), row)
    finally:
        writer.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return writer.rows
