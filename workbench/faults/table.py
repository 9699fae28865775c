"""Partition table wipe: the protective MBR's entries and the GPT's primary and backup copies.

A GPT disk keeps its table twice: the primary (header in LBA 1, entries in
LBAs 2-33) and the backup (entries, then the header in the disk's last
sector). The protective MBR's four entries (bytes 446-509) say "this is GPT".
Wiping ``both`` (with the MBR entries) loses the table; wiping one copy only
is what tools repair silently from the other (sfdisk reads the survivor, and
``sgdisk -e`` rewrites both).

A wipe writes zeros, as ``wipefs`` or a stray ``dd`` does; ``fill="random"``
XORs random bytes instead (garbage rather than blank). Bytes that already
held the fill value do not change, so the record counts the changed bytes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..disk.layout import SECTOR
from ..errors import UsageError
from . import raw
from .records import ByteRange, FaultRecord, random_bytes, timestamp

WHICH = ("both", "primary", "backup")
FILLS = ("zero", "random")
MBR_ENTRIES = (446, 64)
#: The GPT header sector plus 32 sectors of entries (128 entries of 128 bytes).
GPT_SECTORS = 33


def table_regions(disk_size: int, which: str) -> list[tuple[str, int, int]]:
    """(name, offset, length) of each area a wipe of ``which`` hits, for a disk of ``disk_size`` bytes (pure)."""
    if which not in WHICH:
        raise UsageError(f"unknown table copy '{which}': choose one of {', '.join(WHICH)}")
    primary = ("primary-gpt", SECTOR, GPT_SECTORS * SECTOR)
    backup = ("backup-gpt", disk_size - GPT_SECTORS * SECTOR, GPT_SECTORS * SECTOR)
    if which == "primary":
        return [primary]
    if which == "backup":
        return [backup]
    return [("mbr-entries", *MBR_ENTRIES), primary, backup]


def wipe_table(image: Path, *, which: str = "both", fill: str = "zero", seed: int = 0,
               at: datetime | None = None) -> FaultRecord:
    """Wipe the partition table (``both`` copies with the MBR entries, or one GPT copy)."""
    if fill not in FILLS:
        raise UsageError(f"unknown fill '{fill}': choose one of {', '.join(FILLS)}")
    real = raw.require_detached(image)
    size = real.stat().st_size
    ranges = []
    for name, offset, length in table_regions(size, which):
        if fill == "zero":
            changed = raw.overwrite(real, offset, bytes(length))
        else:
            changed = raw.xor_region(real, offset, random_bytes("partition-wipe", seed, length, salt=name))
        ranges.append(ByteRange(offset, length, str(real), changed))
    return FaultRecord(
        kind="partition-wipe", seed=seed, time=timestamp(at), target=str(real), ranges=ranges,
        details={"which": which, "fill": fill, "areas": [name for name, _o, _l in table_regions(size, which)],
                 "changed_bytes": sum(r.changed_bytes or 0 for r in ranges)},
    )
