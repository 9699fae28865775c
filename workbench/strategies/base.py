"""The one shape every strategy has.

A strategy protects a *source* into a *target* and can list, restore and
verify what it keeps there. Block-level strategies (image, clone) take a disk
image file as source; file-level ones (backup, mirror) take a directory (the
mounted root filesystem, or a folder of it). ``source_kind`` says which, so the
experiment engine knows whether to mount the disk first. Targets are plain
paths already resolved inside the workspace (a directory or an image file);
turning ``DATA.img:/folder`` into a mounted directory is done by
``workbench.targets`` before a strategy sees it.

External engines (restic, borg, partclone, rsync, unison run as subprocesses)
fit the same protocol: callers only see these methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

SourceKind = Literal["disk", "tree"]
Scope = Literal["whole-disk", "partitions", "folders", "filesystem"]

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


class Strategy(Protocol):
    name: str
    scope: Scope
    source_kind: SourceKind

    def protect(
        self, source: Path, target: Path, *, now: datetime, progress: ProgressCallback | None = None
    ) -> RestorePoint: ...

    def points(self, target: Path) -> list[RestorePoint]:
        """Restore points, oldest first."""
        ...

    def restore(self, target: Path, point_id: str, destination: Path) -> RestoreReport: ...

    def verify(self, target: Path) -> VerifyReport: ...

    def footprint(self, target: Path) -> int:
        """Allocated bytes the target really uses on disk (not apparent size)."""
        ...
