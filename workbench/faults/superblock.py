"""ext4 superblock damage: the primary superblock (1024 bytes at partition start + 1024) XORed with random bytes.

The backups (in block groups 1, 3, 5, 7, 9, 25, 27, ... with sparse_super)
are untouched, which is why ``e2fsck -b`` can still bring the filesystem
back: see :mod:`workbench.disk.repair`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..disk.table import read_table
from . import raw
from .records import ByteRange, FaultRecord, random_bytes, timestamp

SUPERBLOCK_OFFSET = 1024
SUPERBLOCK_SIZE = 1024


def damage_superblock(image: Path, *, seed: int = 0, role: str = "root", at: datetime | None = None) -> FaultRecord:
    real = raw.require_detached(image)
    partition = read_table(real).by_role(role)
    offset = partition.start_bytes + SUPERBLOCK_OFFSET
    changed = raw.xor_region(real, offset, random_bytes("superblock", seed, SUPERBLOCK_SIZE))
    return FaultRecord(
        kind="superblock", seed=seed, time=timestamp(at), target=str(real),
        ranges=[ByteRange(offset, SUPERBLOCK_SIZE, str(real), changed)],
        details={"partition": partition.number, "partition_offset": partition.start_bytes, "changed_bytes": changed},
    )
