"""``workbench mirror``: one copy kept in step (rsync, lsyncd, Unison and RAID1 alike)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..disk import targets
from ..errors import Interrupted
from ..progress import reporting
from ..strategies import mirror
from ..strategies.base import RestorePoint, VerifyReport
from ..units import parse_size
from .common import PointList, Restored, moment, opened_existing, tree_destination, tree_source


@dataclass(frozen=True)
class Synced:
    """One protect run of a mirror: which strategy (and variant) ran, and the point it left."""

    strategy: str
    variant: str
    point: RestorePoint


@dataclass(frozen=True)
class Watched:
    """A continuous mirror's watch: its strategy and what the watcher saw and did (``ContinuousMirror`` stats)."""

    strategy: str
    variant: str
    summary: dict[str, Any]


@dataclass(frozen=True)
class Checked:
    mode: str  # the mirror mode the target holds
    report: VerifyReport


def _strategy(mode: str, *, checksum: bool = False, delay: float = 0.2, half_size: int | str = "256M",
              sync: bool = False) -> mirror.Mirror:
    return mirror.make(mode, checksum=checksum, delay_s=delay, half_bytes=parse_size(half_size), durable=sync)


def mirror_protect(*, target: str, source: str | Path | None = None, disk: str | Path | None = None,
                   mode: str = "sync", checksum: bool = False, now: datetime | str | None = None,
                   half_size: int | str = "256M", sync: bool = False, quiet: bool | None = None) -> Synced:
    """Bring the target in step with the source once (``continuous`` too: a catch-up sync; see ``mirror_watch``).

    ``two-way`` writes back into the source, so a disk's root is mounted writable for it.
    ``sync`` (sync mode): write the target out before the record, durable across a power cut.
    """
    strategy = _strategy(mode, checksum=checksum, half_size=half_size, sync=sync)
    when = moment(now)
    unit = "B" if mode in ("sync", "raid1") else "file"
    with tree_source(source=source, disk=disk, writable=mode == "two-way") as tree, \
            targets.opened(target) as opened, reporting("syncing", unit=unit, quiet=quiet) as progress:
        point = strategy.protect(tree, opened, now=when, progress=progress)
    return Synced(strategy.name, strategy.variant, point)


def mirror_watch(*, target: str, source: str | Path | None = None, disk: str | Path | None = None,
                 checksum: bool = False, delay: float = 0.2, seconds: float | None = None,
                 on_start: Callable[[Path], None] | None = None, sync: bool = False) -> Watched:
    """Watch the source and sync each change after ``delay`` seconds, for ``seconds`` or until Ctrl-C.

    ``on_start`` is called with the watched folder once the watcher runs. Stopping by
    Ctrl-C (or SIGTERM) is the normal end: what was pending is applied first. ``sync`` is
    refused with the usage line ``--sync`` gets outside the sync mode.
    """
    strategy = mirror.make("continuous", checksum=checksum, delay_s=delay, durable=sync)
    with tree_source(source=source, disk=disk, writable=True) as tree, targets.opened(target) as opened:
        watcher = strategy.watch(tree, opened)
        try:
            with watcher:
                if on_start is not None:
                    on_start(tree)
                deadline = None if seconds is None else time.monotonic() + seconds
                while deadline is None or time.monotonic() < deadline:
                    time.sleep(0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic())))
        except (KeyboardInterrupt, Interrupted):
            pass  # the normal way to stop watching; the context manager applied what was pending
    return Watched(strategy.name, strategy.variant, watcher.stats.summary())


def mirror_points(*, target: str, mode: str | None = None) -> PointList:
    """The mirror's one point ('now'), or none before the first protect; ``mode`` is recognised when not given."""
    with opened_existing(target, None) as opened:
        strategy = _strategy(mode or mirror.detect_mode(opened))
        return PointList(strategy.points(opened), strategy.footprint(opened))


def mirror_restore(*, target: str, to: str | Path | None = None, to_disk: str | Path | None = None,
                   point: str = "latest", mode: str | None = None, force: bool = False) -> Restored:
    """Copy the mirror into a folder ``to`` (or onto ``to_disk``'s root): it becomes an exact copy, extras deleted."""
    with opened_existing(target, None) as opened:
        strategy = _strategy(mode or mirror.detect_mode(opened))
        with tree_destination(to=to, to_disk=to_disk, force=force) as where:
            report = strategy.restore(opened, point, where, force=force)
    return Restored(report, where)


def mirror_verify(*, target: str, mode: str | None = None) -> Checked:
    """Check the mirror: against the recorded hashes (checksum), by reading it all, or by a scrub (raid1)."""
    with opened_existing(target, None) as opened:
        found = mode or mirror.detect_mode(opened)
        return Checked(found, _strategy(found).verify(opened))

