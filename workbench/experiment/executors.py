"""Where a matrix's cells run: one after another, N at a time on this machine, or on a Dask cluster.

Every executor runs the same function, ``cell_process.run_in_child``, on each
cell, and yields the results as cells finish (in any order). A cell is a child
process of its own wherever it runs, so ownership and cleanup are the same in
every mode.

On Dask (``dask.distributed``), cells ask for one unit of the worker resource
``loopdev``: start workers that run as root on hosts with loop devices with
``--resources loopdev=N`` (how many cells each may run at once). A worker runs
root operations for whoever reaches its scheduler: keep the scheduler on
localhost, or behind TLS (``tls://`` addresses, with the certificates in Dask's
configuration).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from ..errors import MissingToolError, UsageError
from .cell_process import CellJob, CellResult, run_in_child, run_in_process, stop_running
from .runner import failed_row

RESOURCE = "loopdev"

class Executor:
    """Runs cells and yields their results as they finish."""

    name = "sequential"

    def run(self, jobs: Sequence[CellJob]) -> Iterator[CellResult]:
        for job in jobs:
            yield run_in_child(job)


class InProcess(Executor):
    """One after another in this very process (tests that patch an engine; no ownership of its own)."""

    name = "in-process"

    def run(self, jobs: Sequence[CellJob]) -> Iterator[CellResult]:
        for job in jobs:
            yield run_in_process(job)


@dataclass
class LocalJobs(Executor):
    """``jobs`` cells at a time on this machine, each in its own child process."""

    jobs: int
    name = "jobs"

    def run(self, jobs: Sequence[CellJob]) -> Iterator[CellResult]:
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="cell") as pool:
            try:
                yield from _as_finished([pool.submit(run_in_child, job) for job in jobs], cancel=_cancel_all)
            except BaseException:  # Ctrl-C reaches only this thread: the cells in flight must stop too
                stop_running()
                raise


@dataclass
class DaskCluster(Executor):
    """Cells as tasks on a Dask distributed scheduler, each asking for one ``loopdev`` of a worker."""

    scheduler: str
    name = "dask"

    def run(self, jobs: Sequence[CellJob]) -> Iterator[CellResult]:
        distributed = _distributed()
        with distributed.Client(self.scheduler, set_as_default=False) as client:
            futures = {client.submit(run_in_child, job, key=f"cell-{job.label}", pure=False,
                                     resources={RESOURCE: 1}): job for job in jobs}
            try:
                for future in distributed.as_completed(futures, loop=client.loop):  # this client, not a default
                    yield _result_or_failed(future, futures[future])
            finally:
                client.cancel([f for f in futures if not f.done()])


def _result_or_failed(future: Any, job: CellJob) -> CellResult:
    """A task's result; a task that raised (its worker died: ``KilledWorker``) is its cell's failed row."""
    try:
        result: CellResult = future.result()
    except Exception as exc:  # a cell never raises (a failed cell is a row): this is the cluster's doing
        return CellResult(job.label, failed_row(job.cell, f"{type(exc).__name__} on the cluster: {exc}"), {}, 0.0)
    return result


def _distributed() -> Any:
    """The ``distributed`` module, imported only when a cluster is asked for."""
    try:
        import distributed
    except ImportError as exc:
        raise MissingToolError("--executor dask needs dask.distributed: pip install 'workbench[dask]'"
                               ) from exc
    return distributed


def _as_finished(futures: list[Future[CellResult]], *, cancel: Callable[[Iterable[Future[CellResult]]], None]
                 ) -> Iterator[CellResult]:
    pending = set(futures)
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        cancel(pending)


def _cancel_all(futures: Iterable[Future[CellResult]]) -> None:
    for future in futures:
        future.cancel()


def make_executor(kind: str = "sequential", *, jobs: int = 1, scheduler: str | None = None) -> Executor:
    """The executor a user asked for: 'sequential' (``jobs`` > 1 runs that many at a time) or 'dask'."""
    if jobs < 1:
        raise UsageError(f"--jobs must be 1 or more, not {jobs}")
    if kind == "dask":
        if not scheduler:
            raise UsageError("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
        return DaskCluster(scheduler)
    if kind != "sequential":
        raise UsageError(f"no executor '{kind}': sequential or dask")
    if scheduler:
        raise UsageError("--scheduler goes with --executor dask")
    return LocalJobs(jobs) if jobs > 1 else Executor()


__all__ = ["RESOURCE", "DaskCluster", "Executor", "InProcess", "LocalJobs", "make_executor"]
