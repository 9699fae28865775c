"""``workbench backup``: versioned, deduplicated file backup (restic/borg-like)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..disk import targets
from ..progress import reporting
from ..strategies.base import RestorePoint, VerifyReport
from .common import (
    PointList,
    Restored,
    list_points,
    moment,
    opened_existing,
    tree_destination,
    tree_source,
    verify_target,
)

if TYPE_CHECKING:
    from ..strategies.backup import BackupStrategy
    from ..strategies.backup.prune import PruneResult
    from ..strategies.backup.retention import RetentionPlan


@dataclass(frozen=True)
class Forgotten:
    plan: RetentionPlan  # which snapshots were kept (and why) and which were forgotten
    pruned: PruneResult | None  # what pruning freed, when asked


def _strategy(mode: str = "incremental", folders: Sequence[str] = (), include: Sequence[str] = (),
              exclude: Sequence[str] = (), reread: bool = False) -> BackupStrategy:
    from ..strategies.backup import BackupStrategy, Selection  # the engine loads when a verb runs, not for --help

    return BackupStrategy(mode, Selection(tuple(folders), tuple(include), tuple(exclude)), reread)


def backup_protect(*, target: str, source: str | Path | None = None, disk: str | Path | None = None,
                   folders: Sequence[str] = (), include: Sequence[str] = (), exclude: Sequence[str] = (),
                   mode: str = "incremental", reread: bool = False, now: datetime | str | None = None,
                   quiet: bool | None = None) -> RestorePoint:
    """Take a snapshot of a workspace folder (``source``) or of a disk's root filesystem (``disk``)."""
    strategy = _strategy(mode, folders, include, exclude, reread)
    when = moment(now)
    with tree_source(source=source, disk=disk) as tree, targets.opened(target, create=True) as opened, \
            reporting("backing up", unit="B", quiet=quiet) as progress:
        return strategy.protect(tree, opened, now=when, progress=progress)


def backup_points(*, target: str) -> PointList:
    return list_points(_strategy(), target, None)


def backup_restore(*, target: str, point: str = "latest", to: str | Path | None = None,
                   to_disk: str | Path | None = None, path: str = "", force: bool = False) -> Restored:
    """Restore a snapshot (or only ``path`` of it) into a folder ``to``, or onto the root filesystem of ``to_disk``."""
    with opened_existing(target, None) as opened, tree_destination(to=to, to_disk=to_disk, force=force) as where:
        report = _strategy().restore(opened, point, where, path=path, force=force)
    return Restored(report, where)


def backup_verify(*, target: str, metadata_only: bool = False) -> VerifyReport:
    return verify_target(_strategy(), target, None, metadata_only=metadata_only)


def backup_forget(*, target: str, keep_last: int = 0, keep_daily: int = 0, keep_weekly: int = 0,
                  prune: bool = False) -> Forgotten:
    """Drop the snapshots the keep policy does not keep; with ``prune``, free the chunks no snapshot uses."""
    from ..strategies.backup import KeepPolicy

    strategy = _strategy()
    policy = KeepPolicy(keep_last, keep_daily, keep_weekly)
    with opened_existing(target, None) as opened:
        plan = strategy.forget(opened, policy)
        return Forgotten(plan, strategy.prune(opened) if prune else None)


def backup_prune(*, target: str) -> PruneResult:
    """Delete the chunks no snapshot uses, so their space is freed."""
    with opened_existing(target, None) as opened:
        return _strategy().prune(opened)
