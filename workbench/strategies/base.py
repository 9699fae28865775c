"""The one shape every strategy has.

A strategy protects a *source* into a *target* and can list, restore and
verify what it keeps there. Block-level strategies (image, clone) take a disk
image file as source; file-level ones (backup, mirror) take a directory (the
mounted root filesystem, or a folder of it). ``source_kind`` says which, so the
experiment engine knows whether to mount the disk first. Targets are plain
paths already resolved inside the workspace (a directory or an image file);
turning ``DATA.img:/folder`` into a mounted directory is done by
``workbench.disk.targets`` before a strategy sees it.

External engines (restic, borg, partclone, rsync, unison run as subprocesses)
fit the same protocol: callers only see these methods, with these arguments.
Block-level engines fit ``DiskStrategy``, which adds the options the experiment
engine passes when it rebuilds a disk. mypy checks that each engine class fits
(tests/test_targets.py holds every shipped one to its protocol).
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

SourceKind = Literal["disk", "tree"]
Scope = Literal["whole-disk", "partitions", "folders", "filesystem", "nothing"]

#: Called with (done, total) in the unit the operation counts (usually bytes).
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class RestorePoint:
    """One point in time a strategy can bring back."""

    id: str
    time: datetime
    kind: str  # "full", "incremental", "differential", "sync", "clone", ...
    parent: str | None = None
    stored_bytes: int = 0  # bytes this point added to the target
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = self.time.isoformat()
        return data


@dataclass(frozen=True)
class Damage:
    """One damaged thing found by verify: a chunk, a file, a byte range."""

    what: str  # "chunk", "file", "range", "point", ...
    where: str  # chunk id, path, "disk bytes A-B", ...
    detail: str = ""
    affects: tuple[str, ...] = ()  # point ids, partitions or files that depend on it


@dataclass
class VerifyReport:
    checked: int = 0  # chunks, files or blocks checked
    damage: list[Damage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.damage


@dataclass
class RestoreReport:
    point_id: str
    bytes_written: int = 0
    files: int = 0
    holes: list[str] = field(default_factory=list)  # what could not be restored (rescue mode)


@dataclass(frozen=True)
class Listed:
    """One entry of a restore point as the strategy's own listing shows it (``restic ls``, a snapshot's tree).

    What a user of the tool can see without restoring anything: recovery compares
    it with the live tree to find what is missing or changed. ``path`` is posix and
    relative to the root the engine protected (the ``source`` given to protect).
    """

    path: str
    kind: str  # "file", "dir", "symlink" or "other"
    size: int
    mtime_ns: int
    hash: str | None = None  # a content hash the strategy keeps for the file, when it keeps one
    hash_name: str | None = None  # which hash that is ("blake3", "sha256", ...)


def kind_of(mode: int) -> str:
    """The ``Listed`` kind of an entry of this ``st_mode``."""
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


@runtime_checkable
class Lister(Protocol):
    """An engine whose points can be listed and restored path by path (file-level engines, and
    block-level ones that can read a point's filesystem). Recovery uses this, when an engine
    offers it, to copy back only what the user is missing instead of restoring whole points."""

    def listing(self, target: Path, point_id: str) -> list[Listed]:
        """Every entry of the point, as the engine's own listing shows it."""
        ...

    def restore_paths(self, target: Path, point_id: str, paths: Sequence[str], destination: Path, *,
                      force: bool = False) -> RestoreReport:
        """Bring back only ``paths`` (files or folders, as ``listing`` names them) under ``destination``,
        each at its own relative path; the same no-data-loss rule as ``restore``."""
        ...


class Strategy(Protocol):
    """What every engine offers. Callers pass exactly these arguments; an engine may take
    more, as keywords with defaults (mypy checks that an engine fits)."""

    name: str
    scope: Scope
    source_kind: SourceKind

    def protect(
        self, source: Path, target: Path, *, now: datetime, progress: ProgressCallback | None = None
    ) -> RestorePoint: ...

    def points(self, target: Path) -> list[RestorePoint]:
        """Restore points, oldest first."""
        ...

    def restore(self, target: Path, point_id: str, destination: Path, *, force: bool = False) -> RestoreReport:
        """Bring back ``point_id`` (an id, or 'latest') at ``destination``.

        A restore never loses data: the destination must not exist yet or be an
        empty folder (``workbench.disk.targets.check_destination``; for a disk
        strategy, a disk image path that does not exist), else ``UsageError``.
        ``force``: overwrite what the destination holds instead. Stored data
        found damaged raises ``DamageFound`` naming what was not restored.
        """
        ...

    def verify(self, target: Path) -> VerifyReport: ...

    def footprint(self, target: Path) -> int:
        """Allocated bytes the target really uses on disk (not apparent size)."""
        ...


class DiskStrategy(Strategy, Protocol):
    """A block-level engine (``source_kind`` 'disk'): the experiment engine rebuilds whole disks
    with it, so it is also passed ``full``, ``rescue`` and ``size``."""

    def protect(
        self, source: Path, target: Path, *, now: datetime, progress: ProgressCallback | None = None,
        full: bool = False,
    ) -> RestorePoint:
        """``full``: a complete copy even where an earlier point could be built on."""
        ...

    def restore(self, target: Path, point_id: str, destination: Path, *, force: bool = False,
                rescue: bool = False, size: int | None = None) -> RestoreReport:
        """As ``Strategy.restore``, onto a disk image. ``rescue``: write everything readable and
        list the damaged ranges in ``RestoreReport.holes`` instead of raising. ``size``: bytes
        of a new destination disk (default: the protected disk's); a larger disk gets its
        backup GPT moved to the end."""
        ...

