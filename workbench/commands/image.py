"""``workbench image``: whole-disk images, full and incremental, verified chunk by chunk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import workspace
from ..disk import targets
from ..errors import UsageError
from ..progress import reporting
from ..strategies.base import RestorePoint, VerifyReport
from .common import PointList, Restored, list_points, moment, opened_existing, size_of, source_disk, verify_target

if TYPE_CHECKING:
    from ..strategies.image import ImageStrategy

COMMAND = "image"


def _strategy(*, level: int = 3, freeze: bool = False, sync: bool = False) -> ImageStrategy:
    from ..strategies.image import ImageStrategy  # the engine (and zstd) load when a verb runs, not for --help

    return ImageStrategy(level=level, freeze=freeze, sync=sync)


@dataclass(frozen=True)
class Forgotten:
    deleted: list[str]
    kept_as_parents: list[str]  # points --keep-last would drop, kept because newer points depend on them


def image_protect(*, disk: str | Path, target: str, now: datetime | str | None = None, full: bool = False,
                  level: int = 3, freeze: bool = False, sync: bool = False,
                  quiet: bool | None = None) -> RestorePoint:
    """Image ``disk`` into the target directory: incremental when a parent exists, unless ``full``."""
    source = source_disk(disk)
    strategy = _strategy(level=level, freeze=freeze, sync=sync)
    with targets.opened(target) as opened, reporting("imaging", quiet=quiet) as progress:
        return strategy.protect(source, opened, now=moment(now), full=full, progress=progress)


def image_points(*, target: str) -> PointList:
    return list_points(_strategy(), target, COMMAND)


def image_restore(*, target: str, to: str | Path, point: str = "latest", force: bool = False,
                  rescue: bool = False, size: int | str | None = None, quiet: bool | None = None) -> Restored:
    """Restore a point onto a disk ``to`` (a new one, or an existing one with ``force``) of its size or larger."""
    destination = workspace.resolve(to)
    with opened_existing(target, COMMAND) as opened, reporting("restoring", quiet=quiet) as progress:
        report = _strategy().restore(opened, point, destination, force=force, rescue=rescue,
                                         size=size_of(size), progress=progress)
    return Restored(report, destination)


def image_verify(*, target: str) -> VerifyReport:
    return verify_target(_strategy(), target, COMMAND)


def image_forget(*, target: str, keep_last: int | None = None, point: str | None = None) -> Forgotten:
    """Delete one point, or all but the newest ``keep_last`` (never a point a kept one depends on)."""
    if (keep_last is None) == (point is None):
        raise UsageError("say what to forget: --keep-last N, or one --point")
    strategy = _strategy()
    with opened_existing(target, COMMAND) as opened:
        if point is not None:
            strategy.forget(opened, point)
            return Forgotten([point], [])
        assert keep_last is not None  # exactly one of the two was given
        deleted, held = strategy.keep_last(opened, keep_last)
    return Forgotten(deleted, held)


def image_extract(*, target: str, path: str, to: str | Path, point: str = "latest", partition: str = "root") -> Path:
    """Copy a file or folder of a point's filesystem into the workspace folder ``to``; returns the copy."""
    destination = workspace.resolve(to)
    with opened_existing(target, COMMAND) as opened:
        return _strategy().extract(opened, point, path, destination, role=partition)
