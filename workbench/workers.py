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

Workers hash files memory-mapped (``mapped=True``), as ``b3sum`` does: on the laptop
tree that costs what reading into ``filehash``'s aligned buffer does (0.81 CPU s for
half the tree either way), and 7 % less on files above 256 KiB (measured). A page
the disk cannot read, or a file truncated while it is mapped, kills the worker with
SIGBUS, which no Python code can catch; its share is then done again by a worker
that reads (``mapped=False``), where the same fault is an ``OSError`` the job
handles (an unreadable file). The calling process never maps a file.

A worker gets its job as soon as it starts and imports it, then waits for its share
(``started``), so a caller can start workers before their work is ready. A share can
also be *streamed*: a head at once, then its items one by one while the caller is still
finding them (``Started.stream``, ``feed``, ``finish``), so the workers start on the first
items while the caller looks for the rest. A command
that will most likely need one can even start it before its own imports
(``start_early``), for the first ``started`` of that job to take.
"""

from __future__ import annotations

import bisect
import fcntl
import importlib
import itertools
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn

from .bulk import no_cycle_collection
from .errors import OperationFailed

if TYPE_CHECKING:  # imported where used: a worker process never needs it, and it is a third of its start-up
    from . import proc

#: ``(share, *, mapped)`` to a result; named by ``module:function`` so a worker can import it.
Job = Callable[..., Any]


def cores() -> int:
    return os.cpu_count() or 1


def split_by_cost(items: Sequence[Any], costs: Iterable[float], parts: int | None = None) -> list[list[Any]]:
    """``items`` cut into ``parts`` (default: one per core) runs in order, of about equal cost each: their
    results, one run after the other, are the items' in order. Runs end within one item's cost of
    each other, where dealing the items in turn leaves shares as uneven as the items come."""
    count = max(1, parts or cores())
    running = list(itertools.accumulate(costs))
    total = running[-1] if running else 0
    cuts = [0, *(_nearest_cut(running, total * k / count) for k in range(1, count)), len(items)]
    return [list(items[start:end]) for start, end in itertools.pairwise(cuts)]


def _nearest_cut(running: list[float], target: float) -> int:
    """The count of leading items whose running cost comes nearest ``target``."""
    cut = bisect.bisect_right(running, target)
    below = running[cut - 1] if cut else 0.0
    return cut + 1 if cut < len(running) and running[cut] - target < target - below else cut


def map_shares(job: str, shares: Sequence[Any]) -> list[Any]:
    """``job`` (``"package.module:function"``) run on each share in a worker process of its own, in parallel."""
    with started(job, len(shares)) as ready:
        return ready.map(shares)


def run_share(job: str, share: Any) -> Any:
    """``job`` on one share in a worker that maps files, or, should that one die of SIGBUS, one that reads."""
    return map_shares(job, [share])[0]


class Started:
    """Workers for one job, started before their shares are ready (see ``started``)."""

    def __init__(self, job: str, count: int) -> None:
        from . import proc

        self.job = job
        self.children: list[proc.Child] = []
        self._head: Any = None
        self._sent: list[list[Any]] = []  # a streamed share's items, by worker, for a reading worker to redo
        self._load: list[float] = []  # the cost of what each was fed
        self._order: list[int] = []  # the worker of each item fed
        try:
            for _ in range(max(1, count)):
                child = proc.start_piped([sys.executable, "-m", "workbench.workers"], env=_environment())
                self.children.append(child)
                assert child.stdin is not None
                child.stdin.write(pickle.dumps((job, True), protocol=pickle.HIGHEST_PROTOCOL))
                child.stdin.flush()
        except BaseException:  # those already started are not left running (started() has not yielded)
            self.close()
            raise

    def map(self, shares: Sequence[Any]) -> list[Any]:
        """Each share to a worker (as many shares as workers), and their results in the same order."""
        assert len(shares) == len(self.children), f"{len(shares)} shares for {len(self.children)} workers"
        from concurrent.futures import ThreadPoolExecutor  # here: a worker process itself never needs it

        with ThreadPoolExecutor(max_workers=len(shares)) as pool:
            return list(pool.map(self._finish, self.children, shares))

    def stream(self, head: Any) -> None:
        """Start one streamed share on each worker, all with ``head``; ``feed`` sends the items. The job
        returns one result per item it got, in their order."""
        self._head = head
        self._sent = [[] for _ in self.children]
        self._load = [0.0 for _ in self.children]
        self._order = []
        for child in self.children:
            _widen(child)
            self._send(child, (_STREAMED, head))

    def feed(self, item: Any, cost: float) -> None:
        """The next item of the streamed shares, to the worker with the least ``cost`` given so far.

        Dealt in turn instead, a manifest of the laptop tree kept one worker busy 0.15 s
        after the other had finished (its big files came unevenly).
        """
        index = min(range(len(self._load)), key=self._load.__getitem__)
        self._load[index] += cost
        self._order.append(index)
        self._sent[index].append(item)
        self._send(self.children[index], item)

    def finish(self) -> list[Any]:
        """End the streamed shares: the result of every item, in the order they were fed."""
        from concurrent.futures import ThreadPoolExecutor

        shares = [(self._head, sent) for sent in self._sent]
        with ThreadPoolExecutor(max_workers=len(shares)) as pool:
            results = [iter(result) for result in pool.map(self._finish, self.children, shares, [_END] * len(shares))]
        return [next(results[index]) for index in self._order]

    def _send(self, child: proc.Child, item: Any) -> None:
        """``item`` to the worker, past the buffer of its stdin (which a write that fails would leave full)."""
        assert child.stdin is not None
        data = memoryview(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
        try:
            while data:
                data = data[os.write(child.stdin.fileno(), data):]
        except BrokenPipeError:  # it died (SIGBUS?): finish() sees how, and has another do its items
            pass

    def _finish(self, child: proc.Child, share: Any, last: bytes | None = None) -> Any:
        """The worker's result for ``share``, sent now (``last`` None) or already streamed (then ``last`` ends it)."""
        out, err = child.communicate(pickle.dumps(share, protocol=pickle.HIGHEST_PROTOCOL) if last is None else last)
        if child.returncode == -signal.SIGBUS:  # a mapped page the disk could not read: read this time
            done = _reading_worker(self.job, share)
            return _outcome(done.returncode, done.stdout, done.stderr)
        return _outcome(child.returncode, out, err)

    def close(self) -> None:
        from . import proc

        for child in self.children:
            proc.terminate(child, wait_s=1.0)
            for stream in (child.stdin, child.stdout, child.stderr):
                if stream is not None:
                    stream.close()


@contextmanager
def started(job: str, count: int | None = None) -> Iterator[Started]:
    """``count`` workers (default: one per core) for ``job``, started at once: their start-up, about
    0.2 s of interpreter and imports each, overlaps what the caller does until it has their shares
    (``Started.map``). Any still running when the block ends, by an error or an interrupt, are stopped."""
    wanted = count or cores()
    early = _EARLY.pop(job, None) if wanted == 1 else None
    ready = early or Started(job, wanted)
    try:
        yield ready
    finally:
        ready.close()


#: Workers started before their command knew it would need them (``start_early``), by job.
_EARLY: dict[str, Started] = {}


def start_early(job: str) -> None:
    """Start one worker for ``job`` now, for the next ``started`` of one worker for that job in this process.

    A command whose run will most likely hand work to a worker calls this before importing
    what it runs, so the worker's start-up (interpreter and imports, about 0.1 s) overlaps the
    command's own: a sync with nothing to do of the laptop tree, whose target is scanned in a
    worker, took 0.88 s against 0.98 s (median of 30 runs each, alternating). One that nothing
    takes is stopped by ``stop_early``.
    """
    if cores() > 1 and job not in _EARLY:
        _EARLY[job] = Started(job, 1)


def stop_early(job: str | None = None) -> None:
    """Stop the worker started early for ``job`` (for every job: None), if nothing has taken it."""
    for name in list(_EARLY) if job is None else [job]:
        early = _EARLY.pop(name, None)
        if early is not None:
            early.close()


def _outcome(returncode: int, stdout: bytes, stderr: bytes) -> Any:
    if returncode != 0:
        lines = stderr.decode(errors="replace").strip().splitlines()
        raise OperationFailed(f"a worker process failed: {lines[-1] if lines else f'exit code {returncode}'}")
    with no_cycle_collection():
        result = pickle.loads(stdout)
    if isinstance(result, BaseException):
        raise result
    return result


def _environment() -> dict[str, str]:
    package_home = str(Path(__file__).resolve().parents[1])  # found even when run from a checkout, uninstalled
    return {"PYTHONPATH": os.pathsep.join(filter(None, [package_home, os.environ.get("PYTHONPATH")]))}


#: A streamed share starts with ``(_STREAMED, head)`` (a tuple: a class would be another one in the
#: worker, where this module is ``__main__``); its job gets ``(head, items)``, the items as they come.
_STREAMED = "workbench.workers: a streamed share"
#: The end of a streamed share's items.
_END = pickle.dumps(None, protocol=pickle.HIGHEST_PROTOCOL)
#: A worker's stdin pipe takes this much before a ``feed`` waits for it: a manifest of the laptop
#: tree streams about 0.6 MB to each worker, so the caller never waits on a busy one.
PIPE_BYTES = 1 << 20


def _widen(child: proc.Child) -> None:
    assert child.stdin is not None
    try:
        fcntl.fcntl(child.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:  # above /proc/sys/fs/pipe-max-size without the privilege: the default will do
        pass


def _items(stream: BinaryIO) -> Iterator[Any]:
    """A streamed share's items, as they arrive, up to the end mark."""
    while (item := pickle.load(stream)) is not None:
        yield item


def _reading_worker(job: str, share: Any) -> proc.Completed:
    from . import proc

    work = pickle.dumps((job, False), protocol=pickle.HIGHEST_PROTOCOL) + pickle.dumps(
        share, protocol=pickle.HIGHEST_PROTOCOL)
    return proc.run([sys.executable, "-m", "workbench.workers"], env=_environment(), input=work, check=False)


def _resolve(job: str) -> Job:
    module, _, name = job.partition(":")
    function: Job = getattr(importlib.import_module(module), name)
    return function


def main() -> NoReturn:
    job, mapped = pickle.load(sys.stdin.buffer)  # sent at once: the job's imports overlap the caller's work
    try:
        function = _resolve(job)
        share = pickle.load(sys.stdin.buffer)  # sent when the caller has it ready
        if isinstance(share, tuple) and len(share) == 2 and share[0] == _STREAMED:
            share = (share[1], _items(sys.stdin.buffer))
        result: object = function(share, mapped=mapped)
    except Exception as exc:  # the caller raises it as if it had happened there
        result = exc
    pickle.dump(result, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.flush()
    sys.stderr.flush()
    # Its caller reads the result to the end of the pipe, which comes when this process is gone: the
    # teardown of the objects behind a result (24,080 scanned entries) kept a mirror's scan waiting
    # 0.08-0.10 s after the worker's last row, against 0.05-0.07 s this way. Nothing is left to release.
    os._exit(0)


if __name__ == "__main__":
    main()
