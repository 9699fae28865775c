"""``workbench fault``: inject real damage into a disk or a target, and see what the disk can heal itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import workspace
from ..disk.repair import Repair, rebuild_gpt_from_backup, repair_from_backup_superblock
from ..errors import UsageError
from ..faults import FaultRecord, inject

#: What ``fault repair`` can do: the disk's own second copies.
REPAIRS = ("superblock", "gpt")


def fault_inject(kind: str, *, disk: str | Path | None = None, target: str | Path | None = None, seed: int = 0,
                 folders: Sequence[str] = ("home",), at: datetime | None = None, **options: Any) -> FaultRecord:
    """Inject one fault and return the record of exactly what it touched.

    ``kind`` and its ``options`` (with their defaults) are the table in
    ``workbench.faults.kinds``: ``fault_inject("bitrot", disk="pc.img", count=16, mode="clustered")``.
    ``folders`` are where file-level damage chooses its victims.
    """
    return inject(kind, disk=disk, target=target, seed=seed, folders=folders, at=at, **options)


def fault_repair(what: str, *, disk: str | Path) -> Repair:
    """Let the disk heal itself: e2fsck from a backup superblock, or the GPT rebuilt from its other copy."""
    if what not in REPAIRS:
        raise UsageError(f"unknown repair '{what}': choose one of {', '.join(REPAIRS)}")
    image = workspace.resolve(disk, must_exist=True)
    return repair_from_backup_superblock(image) if what == "superblock" else rebuild_gpt_from_backup(image)
