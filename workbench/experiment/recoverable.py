"""What recovery needs of a protection: declared here, beside its consumers (``recovery``, ``user_view``).

``experiment.protection.Protection`` offers it; mypy checks that where a cell
hands its protection to recovery. Nothing here reads the ground truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ..strategies.base import Listed, RestorePoint, RestoreReport, VerifyReport


class Recoverable(Protocol):
    """The points and the strategy's own verify, a listing of each point and a targeted restore from it,
    and a way to rebuild a whole disk from one."""

    @property
    def folders(self) -> tuple[str, ...]:
        """The folders the protection covers inside the root tree; () for the whole disk."""
        ...

    @property
    def scratch(self) -> Path:
        """Where recovery may put what it unpacks to compare."""
        ...

    def detach(self) -> None: ...

    def points(self) -> list[RestorePoint]: ...

    def verify(self) -> VerifyReport: ...

    def listing(self, point: RestorePoint) -> list[Listed]:
        """The point's entries, paths as on the disk's root tree."""
        ...

    def restore_paths(self, point: RestorePoint, paths: Sequence[str], root: Path, *,
                      rescue: bool = False) -> RestoreReport:
        """Bring back only ``paths`` of the point under ``root`` (the live root tree)."""
        ...

    def rebuild_disk(self, point: RestorePoint, size_bytes: int, new_disk: Path, *, rescue: bool = False) -> Path:
        """Full recovery onto a blank disk; returns the disk to swap in."""
        ...
