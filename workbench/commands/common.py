"""What the strategy commands share: times and sizes as given, sources, targets, and their results."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import workspace
from ..disk import targets
from ..errors import UsageError
from ..strategies.base import RestorePoint, RestoreReport, Strategy, VerifyReport
from ..units import parse_size


@dataclass(frozen=True)
class PointList:
    """A target's restore points, oldest first, and the space the target uses."""

    points: list[RestorePoint]
    footprint_bytes: int


@dataclass(frozen=True)
class Restored:
    """What a restore wrote, and where."""

    report: RestoreReport
    destination: Path


def moment(when: datetime | str | None, *, option: str = "--now") -> datetime:
    """A time given as ISO 8601 text or a datetime (naive means UTC); None is now."""
    if when is None:
        return datetime.now(UTC)
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when)
        except ValueError:
            raise UsageError(f"{option} '{when}' is not an ISO 8601 time: write it like 2026-01-31T12:00") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def size_of(size: int | str | None) -> int | None:
    """A size in bytes, or a text like 2G; None stays None."""
    return None if size is None else parse_size(size)


def source_disk(disk: str | Path) -> Path:
    return workspace.resolve(disk, must_exist=True)


@contextmanager
def tree_source(*, source: str | Path | None, disk: str | Path | None, writable: bool = False) -> Iterator[Path]:
    """A workspace folder as it is, or a disk's root filesystem mounted (read-only unless ``writable``)."""
    if (source is None) == (disk is None):
        raise UsageError("give one source: a folder in the workspace (--source) or a disk image (--disk)")
    if source is not None:
        path = workspace.resolve(source)
        if not path.is_dir():
            raise UsageError(f"the source '{source}' does not exist or is not a directory: pass a folder to protect")
        yield path
        return
    from ..disk.mounting import mounted

    assert disk is not None  # exactly one of the two was given
    with mounted(source_disk(disk), role="root", readonly=not writable) as point:
        yield point


@contextmanager
def opened_existing(spec: str, command: str | None) -> Iterator[Path]:
    """The target, opened; a usage error naming the protect to run first when there is none.

    With no ``command`` a missing target is left to the strategy, whose own message says what it expected.
    """
    with targets.opened(spec, create=False) as target:
        if command is not None and not target.exists():
            raise UsageError(f"the target '{spec}' does not exist: run 'workbench {command} protect --target {spec}' "
                             "first")
        yield target


@contextmanager
def tree_destination(*, to: str | Path | None, to_disk: str | Path | None, force: bool) -> Iterator[Path]:
    """Where a file-level restore writes: a workspace folder, or a disk's root filesystem mounted.

    A disk that already holds files is refused unless ``force``, before anything is written.
    """
    if (to is None) == (to_disk is None):
        raise UsageError("give one destination: a folder in the workspace (--to) or a disk image (--to-disk)")
    if to is not None:
        yield workspace.resolve(to)
        return
    from ..disk.mounting import mounted

    assert to_disk is not None  # exactly one of the two was given
    with mounted(workspace.resolve(to_disk, must_exist=True), role="root") as point:
        targets.check_destination(point, force=force, disk=str(to_disk))
        yield point


def list_points(strategy: Strategy, target: str, command: str | None) -> PointList:
    """A strategy's points on an existing target, and the target's footprint."""
    with opened_existing(target, command) as opened:
        return PointList(strategy.points(opened), strategy.footprint(opened))


def verify_target(strategy: Strategy, target: str, command: str | None, **options: Any) -> VerifyReport:
    """A strategy's verify of an existing target (the report says what is damaged; nothing is raised for it)."""
    with opened_existing(target, command) as opened:
        return strategy.verify(opened, **options)
