"""One cell in a child process of its own, the way every executor runs it.

``run_in_child(job)`` starts ``python -m workbench.experiment.cell_process``
in a process group (a session) of its own, waits for it, and returns what the
cell produced: its row, its details, its wall seconds, and who ran it. The
child runs ``runner.run_cell``, the one cell function, and holds every loop
device, mount and served disk of the cell under its own owner id
(:mod:`workbench.disk.owners`): when it dies, what it held is a dead owner's,
and ``workbench cleanup`` frees it without touching the cells that still run.

The child dies with the process that started it (``PR_SET_PDEATHSIG``: SIGTERM,
so it unwinds and releases), which is how a dying worker takes its cells with
it. When the parent is interrupted it SIGTERMs the child's group, then SIGKILLs
it. A child that ends without a result (killed, out of memory) is a failed row.

``run_in_process(job)`` runs the same cell function in this process: for tests
that patch the engine, and nothing else.
"""

from __future__ import annotations

import ctypes
import json
import os
import pickle
import platform
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import proc, workspace
from ..durable import write_atomic
from ..errors import Interrupted
from ..results.schema import Row
from .cell import Cell
from .runner import failed_row, run_cell

#: How long an interrupted cell may take to unwind (unmounting waits for writeback) before SIGKILL.
UNWIND_WAIT_S = 60.0
PR_SET_PDEATHSIG = 1
PARENT_ENV = "WORKBENCH_CELL_PARENT"
STARTING = "starting-disks"  # the run's starting disks, in its scratch folder (``phases.build``)

_running: set[proc.Child] = set()  # the cells' processes in flight, for ``stop_running``
_running_lock = threading.Lock()


@dataclass(frozen=True)
class CellJob:
    """What a runner needs to run one cell: the cell, and its scratch folder relative to the runner's
    workspace (a worker on another host has a workspace of its own)."""

    cell: Cell
    scratch: str

    @property
    def label(self) -> str:
        return self.cell.label


@dataclass
class CellResult:
    label: str
    row: Row
    details: dict[str, Any]
    seconds: float  # wall seconds, start to end, as the runner saw them
    runner: dict[str, Any] = field(default_factory=dict)  # host and pid of the process that started the cell

    @property
    def status(self) -> str:
        return str(self.row["status"])


def run_in_child(job: CellJob) -> CellResult:
    """Run the cell in a child process in its own process group; always returns a result."""
    started = time.monotonic()
    place = workspace.home() / job.scratch / job.label
    shutil.rmtree(place, ignore_errors=True)  # a cell in flight when an earlier run stopped
    place.mkdir(parents=True)
    spec, result, log = place / "cell.pickle", place / "result.json", place / "cell.log"
    spec.write_bytes(pickle.dumps(job.cell))
    try:
        with open(log, "wb") as output:
            child = proc.spawn([sys.executable, "-m", "workbench.experiment.cell_process", spec, result],
                               stdout=output, stderr=output, env={PARENT_ENV: str(os.getpid())},
                               what=f"the cell {job.label}")
        with _running_lock:
            _running.add(child)
        try:
            code = child.wait()
        except BaseException:
            proc.stop_group(child, wait_s=UNWIND_WAIT_S)
            raise
        finally:
            with _running_lock:
                _running.discard(child)
        if result.exists():
            made = json.loads(result.read_text())
            row, details = Row(made["row"]), made["details"]
        else:
            row = failed_row(job.cell, f"the cell's process ended with code {code} and no result: {_last_line(log)}")
            details = {"cell": job.label, "log_tail": _tail(log)}
    finally:
        shutil.rmtree(place, ignore_errors=True)
    return CellResult(job.label, row, details, time.monotonic() - started, _runner())


#: The details' key for the files a cell kept beside them, by name (``matrix.save_cell`` writes them out).
BESIDE = "files_beside"


def stop_running() -> None:
    """SIGTERM every cell this process runs (from other threads), so they unwind; SIGKILL the slow ones."""
    with _running_lock:
        children = list(_running)
    threads = [threading.Thread(target=proc.stop_group, args=(child,), kwargs={"wait_s": UNWIND_WAIT_S})
               for child in children]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_in_process(job: CellJob) -> CellResult:
    """The same cell function in this process (a test's patched engine reaches it)."""
    started = time.monotonic()
    place = workspace.home() / job.scratch / job.label
    try:
        row, details = _run(job.cell, place)
    finally:
        shutil.rmtree(place, ignore_errors=True)
    return CellResult(job.label, row, details, time.monotonic() - started, _runner())


def _run(cell: Cell, place: Path) -> tuple[Row, dict[str, Any]]:
    """Run the cell in ``place`` (its folder in the run's scratch, whose ``starting-disks/`` all cells share)."""
    row = run_cell(cell, place / "cell", details_dir=place / "details", starting=place.parent / STARTING)
    details = json.loads((place / "details" / f"{cell.label}.json").read_text())
    beside = {path.name: path.read_text(errors="replace") for path in sorted((place / "details").iterdir())
              if path.name != f"{cell.label}.json"}
    if beside:  # what the cell kept beside its details (a boot's console): the run writes it into cells/
        details[BESIDE] = beside
    return row, details


def _runner() -> dict[str, Any]:
    return {"host": platform.node(), "pid": os.getpid()}


def _last_line(path: Path) -> str:
    lines = [line for line in _tail(path).splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def _tail(path: Path) -> str:
    try:
        return path.read_bytes()[-2000:].decode(errors="replace")
    except OSError:
        return ""


def _die_with_parent() -> None:
    """SIGTERM this process when the one that started it dies (Linux ``prctl``), so a killed worker's
    cells unwind and release what they hold instead of running on unowned."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    parent = os.environ.get(PARENT_ENV)
    if parent is not None and os.getppid() != int(parent):  # it died before prctl took effect
        raise Interrupted("the process that started this cell is gone")


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(f"stopped by signal {signal.Signals(signum).name}")


def main(argv: list[str]) -> int:
    spec, result = Path(argv[0]), Path(argv[1])
    signal.signal(signal.SIGTERM, _raise_interrupted)
    _die_with_parent()
    cell = pickle.loads(spec.read_bytes())
    row, details = _run(cell, spec.parent)
    write_atomic(result, json.dumps({"row": dict(row), "details": details}, default=str).encode(), sync=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
