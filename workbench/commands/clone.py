"""``workbench clone``: an exact, sparse replica disk, refreshed by changed blocks."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import workspace
from ..disk import targets
from ..progress import reporting
from ..strategies.base import RestorePoint, VerifyReport
from .common import PointList, Restored, list_points, moment, opened_existing, size_of, source_disk, verify_target

if TYPE_CHECKING:
    from ..strategies.clone import CloneStrategy

COMMAND = "clone"


def _strategy(*, freeze: bool = False, sync: bool = False) -> CloneStrategy:
    from ..strategies.clone import CloneStrategy  # the engine loads when a verb runs, not for --help

    return CloneStrategy(freeze=freeze, sync=sync)


def clone_protect(*, disk: str | Path, target: str, now: datetime | str | None = None, full: bool = False,
                  freeze: bool = False, sync: bool = False, quiet: bool | None = None) -> RestorePoint:
    """Clone ``disk`` to the target image file, or refresh the clone there (changed blocks only, unless ``full``).

    The point's ``extra["mode"]`` says which: ``full`` or ``refresh``.
    """
    source = source_disk(disk)
    with targets.opened(target) as opened, reporting("cloning", quiet=quiet) as progress:
        return _strategy(freeze=freeze, sync=sync).protect(source, opened, now=moment(now), full=full,
                                                               progress=progress)


def clone_points(*, target: str) -> PointList:
    return list_points(_strategy(), target, COMMAND)


def clone_restore(*, target: str, to: str | Path, point: str = "latest", force: bool = False,
                  rescue: bool = False, size: int | str | None = None) -> Restored:
    """Copy the clone back onto a disk ``to``, each block checked against the hashes recorded at clone time."""
    destination = workspace.resolve(to)
    with opened_existing(target, COMMAND) as opened:
        report = _strategy().restore(opened, point, destination, force=force, rescue=rescue, size=size_of(size))
    return Restored(report, destination)


def clone_verify(*, target: str) -> VerifyReport:
    return verify_target(_strategy(), target, COMMAND)
