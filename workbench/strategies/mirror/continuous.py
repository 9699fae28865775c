"""Continuous mirror: watch the source with inotify and propagate each change after a delay.

Like lsyncd: the first event after a quiet spell opens a batch; ``delay_s`` later
every path touched meanwhile is synced (a scoped one-way sync of just those
paths, so deletions and renames propagate too). Events come from the kernel
(watchdog's inotify observer), so changes by any process count, not only the
workbench's own. What inotify cannot see (raw writes into a disk image under the
mounted filesystem) is not propagated; that is the honest limit of this mode.

``stats`` records the watcher's event counts by type and, for every synced
path, the propagation delay: from the first event seen for it to its change
being applied on the target.

A permissions change on a folder alone (an event on the folder itself) is
counted but only applied at the next full sync: folder events fire for every
change inside the folder, and following each would rescan whole subtrees.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
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

# watchdog warns when a folder made and filled at once (mkdir -p a/b) gets its watch twice;
# it replaces the watch itself and nothing is lost, so the warning is only noise.
warnings.filterwarnings("ignore", message="Callback with id .* already exists", category=RuntimeWarning)

#: What we listen to: changes, not reads (opening and closing without writing are left out).
_WATCHED = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent,
            DirCreatedEvent, DirDeletedEvent, DirMovedEvent, DirModifiedEvent]


@dataclass
class ContinuousStats:
    events: Counter[str] = field(default_factory=Counter)  # by watchdog event type
    batches: int = 0
    paths_synced: int = 0
    bytes_copied: int = 0
    delays_s: list[float] = field(default_factory=list)  # per synced path: first event seen -> applied
    errors: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # source paths a sync could not read (EIO)

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
            "read_errors": len(self.unreadable),
            "unreadable": self.unreadable[:50],
        }


class _Handler(FileSystemEventHandler):
    def __init__(self, mirror: ContinuousMirror) -> None:
        self.mirror = mirror

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.mirror._seen(event)


class ContinuousMirror:
    """``with ContinuousMirror(src, dst, delay_s=0.2) as mirror: ...`` then ``mirror.stats``."""

    def __init__(self, source: Path, target: Path, *, delay_s: float = 0.2, checksum: bool = False) -> None:
        check_pair(source, target)
        check_target(target)
        self.source, self.target = source.resolve(), target
        self.delay_s, self.checksum = delay_s, checksum
        self.stats = ContinuousStats()
        self.initial: SyncResult | None = None
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
            self.initial = sync_tree(self.source, self.target, checksum=self.checksum, mode="continuous")
            self.stats.unreadable += self.initial.unreadable
        except BaseException:
            self._observer.stop()
            self._observer.join()
            raise
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

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Wait until no change is pending or being applied; False if still busy after the timeout."""
        deadline = time.monotonic() + timeout_s
        with self._wake:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(left)
        return True

    def __enter__(self) -> ContinuousMirror:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def _seen(self, event: FileSystemEvent) -> None:
        now = time.monotonic()
        with self._wake:
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
            result = sync_tree(self.source, self.target, checksum=self.checksum, only=paths, mode="continuous")
        except Exception as exc:  # keep watching; the stats say the mirror fell behind
            self.stats.errors.append(f"{type(exc).__name__}: {exc}")
            return
        applied = time.monotonic()
        self.stats.unreadable += result.unreadable
        self.stats.batches += 1
        self.stats.paths_synced += len(batch)
        self.stats.bytes_copied += result.bytes_copied
        self.stats.delays_s.extend(applied - seen for seen in batch.values())
