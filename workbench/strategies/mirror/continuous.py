"""Continuous mirror: watch the source with inotify and propagate each change after a delay.

Like lsyncd: the first event after a quiet spell opens a batch; ``delay_s`` later
every path touched meanwhile is synced (a scoped one-way sync of just those
paths, so deletions and renames propagate too). Events come from the kernel
(watchdog's inotify observer), so changes by any process count, not only the
workbench's own. What inotify cannot see (raw writes into a disk image under the
mounted filesystem) is not propagated; that is the honest limit of this mode.

``stats`` records the watcher's event counts by type and, for every synced
path, the propagation delay: from the first event seen for it to its change
being applied on the target. ``drain_applied`` hands over what each sync (the
first full one, then every batch) did to the target, for whoever counts the
mirror's work. ``clock`` gives the time the mirror's record is stamped with
(the simulated clock in experiments; the wall clock by default).

A permissions change on a folder alone (an event on the folder itself) is
counted but only applied at the next full sync: folder events fire for every
change inside the folder, and following each would rescan whole subtrees.

``wait_idle`` is a barrier, not a guess: inotify reports events in order, so it
makes a mark after the changes it waits for (a temporary file at the source's
top, created and removed at once; no scan copies such a name, and the folder's
times are put back) and waits until the watcher has seen the mark and applied
everything before it. Without the mark, changes whose events were still on
their way (a busy machine) would be applied after the wait. The mark's own
events, and folder events on the watched folder itself, are not counted.
"""

from __future__ import annotations

import itertools
import os
import statistics
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers.inotify import InotifyObserver

from .record import SyncResult
from .sync import check_pair, check_target, sync_tree
from .tree import TEMP_PREFIX

#: The name ``wait_idle``'s marks start with (a temporary name: scans skip it).
MARK_PREFIX = f"{TEMP_PREFIX}settle-"
_MARKS = itertools.count()

# watchdog warns when a folder made and filled at once (mkdir -p a/b) gets its watch twice;
# it replaces the watch itself and nothing is lost, so the warning is only noise.
warnings.filterwarnings("ignore", message="Callback with id .* already exists", category=RuntimeWarning)

#: What we listen to: changes, not reads (opening and closing without writing are left out).
_WATCHED = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent,
            DirCreatedEvent, DirDeletedEvent, DirMovedEvent, DirModifiedEvent]


@dataclass(frozen=True)
class Applied:
    """What one sync of the watcher did to the target: the first full one, or a batch."""

    kind: str  # "initial" or "batch"
    seconds: float  # real seconds the sync took
    bytes_copied: int
    written: tuple[str, ...]  # paths written on the target (``SyncResult.written``)
    removed: tuple[str, ...]

    @classmethod
    def of(cls, kind: str, result: SyncResult) -> Applied:
        return cls(kind, result.seconds, result.bytes_copied, tuple(result.written), tuple(result.removed))


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class ContinuousStats:
    events: Counter[str] = field(default_factory=Counter)  # by watchdog event type
    batches: int = 0
    paths_synced: int = 0
    bytes_copied: int = 0
    delays_s: list[float] = field(default_factory=list)  # per synced path: first event seen -> applied
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        delays = sorted(self.delays_s)
        return {
            "events": dict(self.events),
            "events_total": sum(self.events.values()),
            "batches": self.batches,
            "paths_synced": self.paths_synced,
            "bytes_copied": self.bytes_copied,
            "delay_median_s": statistics.median(delays) if delays else None,
            "delay_p95_s": delays[min(len(delays) - 1, int(0.95 * len(delays)))] if delays else None,
            "delay_max_s": delays[-1] if delays else None,
            "errors": list(self.errors),
        }


class _Handler(FileSystemEventHandler):
    def __init__(self, mirror: ContinuousMirror) -> None:
        self.mirror = mirror

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.mirror._seen(event)


class ContinuousMirror:
    """``with ContinuousMirror(src, dst, delay_s=0.2) as mirror: ...`` then ``mirror.stats``."""

    def __init__(self, source: Path, target: Path, *, delay_s: float = 0.2, checksum: bool = False,
                 clock: Callable[[], datetime] | None = None) -> None:
        check_pair(source, target)
        check_target(target)
        self.source, self.target = source.resolve(), target
        self.delay_s, self.checksum, self.clock = delay_s, checksum, clock or _wall_clock
        self.stats = ContinuousStats()
        self.initial: SyncResult | None = None
        self._applied: list[Applied] = []  # not yet drained
        self._marks_seen: set[str] = set()  # wait_idle's marks whose removal the watcher has seen
        self._pending: dict[str, float] = {}  # relative path -> first time seen (monotonic)
        self._wake = threading.Condition()
        self._stopping = False
        self._busy = False
        self._observer: InotifyObserver | None = None
        self._worker: threading.Thread | None = None

    def start(self) -> ContinuousMirror:
        """Sync everything once, then watch. The watch starts first, so nothing slips between."""
        self._observer = InotifyObserver()
        self._observer.schedule(_Handler(self), str(self.source), recursive=True, event_filter=_WATCHED)
        self._observer.start()
        try:
            self.initial = sync_tree(self.source, self.target, checksum=self.checksum, mode="continuous",
                                     now=self.clock())
        except BaseException:
            self._observer.stop()
            self._observer.join()
            raise
        with self._wake:
            self._applied.append(Applied.of("initial", self.initial))
        self._worker = threading.Thread(target=self._run, name="continuous-mirror", daemon=True)
        self._worker.start()
        return self

    def stop(self) -> ContinuousStats:
        """Stop watching, apply what is still pending, and return the stats."""
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._worker is not None:
            self._worker.join()
        return self.stats

    def _link_siblings(self, batch: dict[str, float]) -> list[str]:
        """The other names of hard-linked files in the batch.

        A write through one name changes them all, but inotify reports only the name written;
        syncing that name alone would leave its siblings in the mirror with the old bytes.
        Finding the siblings takes a walk of the source, paid only when such a file changed.
        """
        inodes = set()
        for path in batch:
            try:
                info = os.lstat(self.source / path)
            except FileNotFoundError:
                continue
            if info.st_nlink > 1 and not os.path.isdir(self.source / path):
                inodes.add((info.st_dev, info.st_ino))
        if not inodes:
            return []
        siblings = []
        for folder, _dirs, files in os.walk(self.source):
            for name in files:
                full = os.path.join(folder, name)
                info = os.lstat(full)
                if (info.st_dev, info.st_ino) in inodes:
                    siblings.append(os.path.relpath(full, self.source))
        return [path for path in siblings if path not in batch]

    def drain_applied(self) -> list[Applied]:
        """What the syncs did since the last call, oldest first."""
        with self._wake:
            applied, self._applied = self._applied, []
        return applied

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Wait until every change made before the call is seen and applied; False if still busy after the timeout."""
        deadline = time.monotonic() + timeout_s
        mark = self._mark()
        with self._wake:
            while (mark is not None and mark not in self._marks_seen) or self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(left)
            self._marks_seen.discard(mark or "")
        return True

    def _mark(self) -> str | None:
        """Make and remove a mark at the source's top, its times kept; its name (None: the source is read-only)."""
        name = f"{MARK_PREFIX}{os.getpid()}-{next(_MARKS)}"
        try:
            times = os.stat(self.source)
            os.close(os.open(self.source / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            os.unlink(self.source / name)
            os.utime(self.source, ns=(times.st_atime_ns, times.st_mtime_ns))
        except OSError:
            return None
        return name

    def __enter__(self) -> ContinuousMirror:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def _seen(self, event: FileSystemEvent) -> None:
        now = time.monotonic()
        rel = self._relative(event.src_path)
        with self._wake:
            if rel is not None and rel.startswith(MARK_PREFIX):
                if isinstance(event, FileDeletedEvent):
                    self._marks_seen.add(rel)
                    self._wake.notify_all()
                return
            if isinstance(event, DirModifiedEvent) and rel is None:
                return  # the watched folder itself: made by the marks too
            self.stats.events[event.event_type] += 1
            if isinstance(event, DirModifiedEvent):
                return
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                rel = self._relative(raw)
                if rel is not None:
                    self._pending.setdefault(rel, now)
            self._wake.notify_all()

    def _relative(self, raw: str | bytes) -> str | None:
        if not raw:
            return None
        path = Path(raw.decode() if isinstance(raw, bytes) else raw)
        try:
            rel = path.relative_to(self.source).as_posix()
        except ValueError:
            return None
        return None if rel == "." else rel

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._stopping:
                    self._wake.wait()
                if not self._pending:
                    return
                first = min(self._pending.values())
            pause = first + self.delay_s - time.monotonic()
            if pause > 0 and not self._stopping:
                time.sleep(pause)
            with self._wake:
                batch, self._pending = self._pending, {}
                self._busy = True
            try:
                self._apply(batch)
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()

    def _apply(self, batch: dict[str, float]) -> None:
        try:
            paths = list(batch) + self._link_siblings(batch)
            result = sync_tree(self.source, self.target, checksum=self.checksum, only=paths, mode="continuous",
                               now=self.clock())
        except Exception as exc:  # keep watching; the stats say the mirror fell behind
            self.stats.errors.append(f"{type(exc).__name__}: {exc}")
            return
        applied = time.monotonic()
        with self._wake:
            self._applied.append(Applied.of("batch", result))
        self.stats.batches += 1
        self.stats.paths_synced += len(batch)
        self.stats.bytes_copied += result.bytes_copied
        self.stats.delays_s.extend(applied - seen for seen in batch.values())
