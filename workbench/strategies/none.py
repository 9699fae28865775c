"""``none``: no protection at all, the baseline every strategy is measured against.

It keeps nothing. When damage strikes, the user has only what the disk
itself offers: the backup GPT and ext4's backup superblocks.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..errors import UsageError
from .base import ProgressCallback, RestorePoint, RestoreReport, Scope, SourceKind, VerifyReport


class NoStrategy:
    name = "none"
    scope: Scope = "nothing"
    source_kind: SourceKind = "disk"

    def protect(self, source: Path, target: Path, *, now: datetime,
                progress: ProgressCallback | None = None) -> RestorePoint:
        raise UsageError("the 'none' strategy keeps nothing: there is nothing to protect with it")

    def points(self, target: Path) -> list[RestorePoint]:
        return []

    def restore(self, target: Path, point_id: str, destination: Path, *, force: bool = False) -> RestoreReport:
        raise UsageError("the 'none' strategy kept nothing to restore")

    def verify(self, target: Path) -> VerifyReport:
        return VerifyReport()

    def footprint(self, target: Path) -> int:
        return 0
