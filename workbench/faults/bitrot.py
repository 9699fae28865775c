"""Bit rot: bits flipped in file data underneath the filesystem, which does not notice.

The steps: mount the partition read-only, list the candidate files and
locate their data with FIEMAP, unmount; choose the bits from the seed; XOR
them in the image file at those physical offsets; drop the caches. ext4's
metadata checksums do not cover file data, so the files still read (with
different content) and e2fsck stays clean: only a content hash notices.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ..disk.table import read_table
from . import raw
from .locate import locate_files
from .records import Extent, FaultRecord, rng, timestamp
from .select import choose_bits


def inject_bitrot(image: Path, *, seed: int = 0, count: int = 8, mode: str = "uniform",
                  folders: Sequence[str] = ("home",), files: Sequence[str] | None = None,
                  role: str = "root", at: datetime | None = None) -> FaultRecord:
    """Flip ``count`` bits in the data of files under ``folders`` (or of exactly ``files``).

    Paths are relative to the root of the partition's filesystem ("home/alice").
    The image must not be attached: raw writes go under the filesystem.
    """
    real = raw.require_detached(image)
    partition = read_table(real).by_role(role)
    located, block_size = locate_files(real, role, partition.start_bytes, files if files is not None else folders)
    flips = choose_bits(located, count, mode, rng("bitrot", seed), image=str(real))
    raw.flip_bits(real, flips)
    return FaultRecord(
        kind="bitrot",
        seed=seed,
        time=timestamp(at),
        target=str(real),
        files=sorted({flip.file for flip in flips}),
        bits=flips,
        blocks=sorted({(flip.offset - partition.start_bytes) // block_size for flip in flips}),
        details={"mode": mode, "count": count, "partition": partition.number, "block_size": block_size,
                 "candidates": len(located)},
    )


def inject_bitrot_at(image: Path, places: Sequence[tuple[int, int]], *, seed: int = 0, count: int = 1,
                     mode: str = "uniform", label: str = "", at: datetime | None = None) -> FaultRecord:
    """Flip ``count`` bits within given (offset, length) byte ranges of an image file, chosen from the seed.

    For places found by other means: one half of a btrfs raid1 pair
    (``raid1.locate`` gives each copy's offset in its half's image), or a
    file located earlier. ``label`` names what lies there, for the record.
    """
    real = raw.require_detached(image)
    extents, running = [], 0
    for offset, length in places:  # file_offset: the position within the places laid end to end
        extents.append(Extent(running, offset, length))
        running += length
    located = [(label, extents)]
    flips = choose_bits(located, count, mode, rng("bitrot", seed), image=str(real))
    raw.flip_bits(real, flips)
    return FaultRecord(
        kind="bitrot", seed=seed, time=timestamp(at), target=str(real), files=[label] if label else [],
        bits=flips, details={"mode": mode, "count": count, "places": [list(p) for p in places]},
    )
