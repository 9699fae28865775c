"""Per-file work in worker processes, one per core: ``python -m workbench.workers``.

For work on many small files (a manifest's entries, a checksum mirror's hashes), the
per-file Python work (open, read, xattrs, building the result) and BLAKE3 on small
inputs hold the GIL, so threads cannot use a second core; processes can.

A worker is given a *job*, the dotted name of a function taking ``(share, *, mapped)``,
and one share of the work, pickled on its stdin; it writes the pickled result to
stdout, or the exception that stopped it, which the caller raises as if it had
happened there. It is a module run with ``-m`` rather than a multiprocessing pool, so
the caller's own script is never imported again in a child and a caller with threads
is never forked.

Workers hash files memory-mapped (``mapped=True``): a third less CPU than reading
them into a buffer. A page the disk cannot read, or a file truncated while it is
mapped, kills the worker with SIGBUS, which no Python code can catch; its share is
then done again by a worker that reads (``mapped=False``), where the same fault is an
``OSError`` the job handles (an unreadable file). The calling process never maps a
file.
"""

from __future__ import annotations

import importlib
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import proc
from .bulk import no_cycle_collection
from .errors import OperationFailed

#: ``(share, *, mapped)`` to a result; named by ``module:function`` so a worker can import it.
Job = Callable[..., Any]


def cores() -> int:
    return os.cpu_count() or 1


def split(items: Sequence[Any], parts: int | None = None) -> list[list[Any]]:
    """``items`` dealt into ``parts`` (default: one per core) shares, interleaved so big and small spread evenly."""
    count = max(1, parts or cores())
    return [list(items[i::count]) for i in range(count)]


def unsplit(results: Sequence[Sequence[Any]]) -> list[Any]:
    """The items of ``split``'s shares' results back in the order of the items."""
    merged: list[Any] = [None] * sum(len(part) for part in results)
    for index, part in enumerate(results):
        merged[index :: len(results)] = part
    return merged


def map_shares(job: str, shares: Sequence[Any]) -> list[Any]:
    """``job`` (``"package.module:function"``) run on each share in a worker process of its own, in parallel."""
    with ThreadPoolExecutor(max_workers=max(1, len(shares))) as pool:
        return list(pool.map(lambda share: run_share(job, share), shares))


def run_share(job: str, share: Any) -> Any:
    """``job`` on one share in a worker that maps files, or, should that one die of SIGBUS, one that reads."""
    done = _worker(job, share, mapped=True)
    if done.returncode == -signal.SIGBUS:
        done = _worker(job, share, mapped=False)
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise OperationFailed(f"a worker process failed: {lines[-1] if lines else f'exit code {done.returncode}'}")
    with no_cycle_collection():
        result = pickle.loads(done.stdout)
    if isinstance(result, BaseException):
        raise result
    return result


def _worker(job: str, share: Any, *, mapped: bool) -> proc.Completed:
    package_home = str(Path(__file__).resolve().parents[1])  # found even when run from a checkout, uninstalled
    search = os.pathsep.join(filter(None, [package_home, os.environ.get("PYTHONPATH")]))
    work = pickle.dumps((job, share, mapped), protocol=pickle.HIGHEST_PROTOCOL)
    return proc.run([sys.executable, "-m", "workbench.workers"], env={"PYTHONPATH": search}, input=work,
                    check=False)


def _resolve(job: str) -> Job:
    module, _, name = job.partition(":")
    function: Job = getattr(importlib.import_module(module), name)
    return function


def main() -> int:
    job, share, mapped = pickle.load(sys.stdin.buffer)
    try:
        result: object = _resolve(job)(share, mapped=mapped)
    except Exception as exc:  # the caller raises it as if it had happened there
        result = exc
    pickle.dump(result, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
