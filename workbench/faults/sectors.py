"""Bad sectors: a run of sectors on the disk becomes garbage (random bytes).

Without device-mapper the sectors cannot be made to return EIO (that would
take a FUSE layer); they read back as random bytes, which is what a disk that
remapped or mis-wrote them returns. Where the run lands:
- ``files``: starting inside the data of a file under the given folders, so
  user data is surely hit (the record lists the files it overlaps);
- a partition role (``root``, ``esp``): anywhere inside that partition, data
  or metadata or free space, as chance has it;
- ``disk``: anywhere on the whole disk, partition tables included.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ..disk.layout import SECTOR
from ..disk.table import read_table
from ..errors import UsageError
from . import raw
from .locate import locate_files
from .records import ByteRange, Extent, FaultRecord, random_bytes, rng, timestamp


def bad_sectors(image: Path, *, seed: int = 0, sectors: int = 8, where: str = "files",
                folders: Sequence[str] = ("home",), role: str = "root", at: datetime | None = None) -> FaultRecord:
    """Turn ``sectors`` consecutive 512-byte sectors into random bytes."""
    if sectors < 1:
        raise UsageError(f"the number of bad sectors must be at least 1, not {sectors}")
    real = raw.require_detached(image)
    rand = rng("bad-sectors", seed)
    length = sectors * SECTOR
    located: list[tuple[str, list[Extent]]] = []
    if where == "files":
        partition = read_table(real).by_role(role)
        located, _block_size = locate_files(real, role, partition.start_bytes, folders)
        pieces = [extent for _name, extents in located for extent in extents]
        total = sum(piece.length for piece in pieces)
        if not total:
            raise UsageError(f"no file data under {', '.join(folders)} to damage")
        index = rand.randrange(total)
        for piece in pieces:
            if index < piece.length:
                start = (piece.image_offset + index) // SECTOR * SECTOR
                break
            index -= piece.length
    else:
        low, high = _bounds(real, where)
        if high - low < length:
            raise UsageError(f"{sectors} sectors do not fit in '{where}': ask for fewer")
        start = low + rand.randrange((high - low - length) // SECTOR + 1) * SECTOR
    length = min(length, real.stat().st_size - start)
    changed = raw.overwrite(real, start, random_bytes("bad-sectors", seed, length, salt=str(start)))
    hit = sorted(name for name, extents in located
                 if any(e.image_offset < start + length and start < e.image_offset + e.length for e in extents))
    return FaultRecord(
        kind="bad-sectors", seed=seed, time=timestamp(at), target=str(real), files=hit,
        ranges=[ByteRange(start, length, str(real), changed)],
        details={"where": where, "sectors": length // SECTOR, "first_sector": start // SECTOR},
    )


def _bounds(image: Path, where: str) -> tuple[int, int]:
    if where == "disk":
        return 0, image.stat().st_size
    table = read_table(image)
    roles = [part.role for part in table.partitions]
    if where not in roles:
        raise UsageError(f"bad sectors cannot go '{where}': choose files, disk or a partition ({', '.join(roles)})")
    part = table.by_role(where)
    return part.start_bytes, part.end_bytes
