"""Running the strategy x scenario matrix and saving each cell as it finishes.

A cell's row and details land in ``OUT/cells/`` the moment it finishes
(``<label>.json``, its details, then ``rows/<label>.json``, its row: the row is
the mark of a finished cell; a folder of their own keeps rows apart from the
details that readers and redaction take as ``cells/*.json``). ``resume=True`` takes those rows instead of
running their cells again, so an interrupted comparison loses only the cells
that were in flight. The tables and ``run.json`` are rewritten as rows come;
``run.json`` is stamped ``finished`` only when every cell has a row.

Each run has a scratch folder of its own in the workspace
(``experiments/<out name>-XXXXXX``), so two runs whose results folders share a
name never share scratch.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import workspace
from ..durable import write_atomic
from ..errors import UsageError
from ..results.schema import Row
from ..results.store import ResultsWriter, RunRecord
from .cell_process import BESIDE, CellJob, CellResult
from .executors import Executor
from .provenance import machine_facts, versions
from .runner import Cell
from .scenario import load_scenario
from .sizing import sizes_for

#: Called after each cell with (cells done, cells in all, the cell's result); cells taken from an earlier
#: run (``resume``) count as done from the start.
OnCell = Callable[[int, int, CellResult], None]

#: The record's fields a resumed run must share with the run it finishes.
PLAN_FIELDS = ("profile", "data_size_bytes", "disk_size_bytes", "fill", "seed", "repeat", "strategies", "scenarios",
               "schedules")


def plan_cells(strategies: Sequence[str], scenarios: Sequence[str], *, profile: str, data_size: int | None,
               seed: int, repeat: int, schedules: dict[str, str] | None = None, fill: float | None = None,
               disk_size: int | None = None, boot_check: bool = False) -> list[Cell]:
    """Every cell; with ``fill``, pass the ``disk_size`` the run record found, so it is sized once, not per cell."""
    loaded = [load_scenario(name) for name in scenarios]
    return [Cell(strategy, scenario, profile=profile, data_size=data_size, seed=seed, repetition=rep,
                 schedules=dict(schedules or {}), fill=fill, disk_size=disk_size, boot_check=boot_check)
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


def cells_dir(out: Path) -> Path:
    return out / "cells"


def rows_dir(out: Path) -> Path:
    return cells_dir(out) / "rows"


def finished_rows(out: Path) -> dict[str, Row]:
    """The rows of the cells an earlier run of ``out`` finished, by cell label."""
    folder = rows_dir(out)
    if not folder.is_dir():
        return {}
    return {path.stem: Row(json.loads(path.read_text())) for path in sorted(folder.glob("*.json"))}


def run_matrix(cells: list[Cell], out: Path, record: RunRecord, on_cell: OnCell | None = None, *,
               executor: Executor | None = None, resume: bool = False) -> list[Row]:
    """Run every cell (a failed one becomes a failed row) on ``executor`` (one child process per cell, one
    after another, by default), writing results into ``out`` as cells finish; the rows in plan order."""
    executor = executor or Executor()
    order = {cell.label: index for index, cell in enumerate(cells)}
    earlier = finished_rows(out) if resume else {}
    if resume:
        _check_same_plan(out, record)
    done = {label: row for label, row in earlier.items() if label in order}
    writer = ResultsWriter(out, record)
    for label in sorted(done, key=order.__getitem__):
        writer.add(done[label])
    experiments = workspace.home() / "experiments"
    experiments.mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{out.name}-", dir=experiments))
    jobs = [CellJob(cell, str(scratch.relative_to(workspace.home()))) for cell in cells if cell.label not in done]
    complete = False
    try:
        for result in executor.run(jobs):
            save_cell(out, result)
            done[result.label] = result.row
            writer.add(result.row)
            if on_cell:
                on_cell(len(done), len(cells), result)
        complete = True
    finally:
        writer.close(finished=complete, rows=[done[cell.label] for cell in cells if cell.label in done])
        shutil.rmtree(scratch, ignore_errors=True)
    return [done[cell.label] for cell in cells]


def save_cell(out: Path, result: CellResult) -> None:
    """A finished cell's details, then its row (the mark that it finished), each written durably."""
    rows_dir(out).mkdir(parents=True, exist_ok=True)
    details = {**result.details, "runner": result.runner, "cell_s": round(result.seconds, 3)}
    for name, text in details.pop(BESIDE, {}).items():
        write_atomic(cells_dir(out) / name, text.encode())
    text = portable(json.dumps(details, indent=1, default=str), result.label, workspace.home())
    write_atomic(cells_dir(out) / f"{result.label}.json", text.encode())
    write_atomic(rows_dir(out) / f"{result.label}.json", json.dumps(dict(result.row), default=str).encode())


def portable(text: str, label: str, home: Path) -> str:
    """A cell's details (JSON text) with no path of the machine that ran it (pure).

    A path in the cell's scratch folder (``.../experiments/RUN/LABEL/cell/source.img``) becomes
    relative to it (``cell/source.img``), any other workspace path starts ``$WORKBENCH_HOME/``, and
    the interpreter (a crash fault records the command it killed) is ``python``: the scratch is gone
    once the cell ends, and shipped or shared results should not name the folders (or the user
    name) of whoever ran them.
    """
    escaped = json.dumps(str(home))[1:-1]
    text = re.sub(r"[^\"'\s]*/experiments/[^/\"'\s]+/" + re.escape(label) + "/", "", text)
    text = text.replace(json.dumps(sys.executable)[1:-1] + " ", "python ")
    return text.replace(f"{escaped}/", "$WORKBENCH_HOME/")


def _check_same_plan(out: Path, record: RunRecord) -> None:
    """Refuse to resume a run that was asked for something else (the table would mix two plans)."""
    path = out / "run.json"
    if not path.exists():
        return
    earlier = json.loads(path.read_text())
    asked = record.to_json()
    differs = [name for name in PLAN_FIELDS if name in earlier and earlier[name] != asked[name]]
    if differs:
        raise UsageError(f"'{out}' holds a run with other {', '.join(differs)}: resume it with the same options, "
                         "or pass --force to replace it")
    record.started = earlier.get("started", "")
