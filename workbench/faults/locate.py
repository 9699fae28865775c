"""Where a file's bytes live in the disk image: FIEMAP on the mounted file, plus the partition offset.

The FIEMAP ioctl (``FS_IOC_FIEMAP``, 0xC020660B) answers in bytes, so the
filesystem's block size (1 KiB below 512 MiB, 4 KiB above) never enters the
arithmetic. The image offset is ``partition start + physical offset``.

Alternatives, for when the filesystem cannot be mounted:
- ``debugfs -R 'blocks /path' "IMG?offset=N"`` lists the file's blocks
  without a mount or root; multiply by the block size from ``dumpe2fs -h``;
- ``filefrag -v`` does what FIEMAP does, but counts in filesystem blocks.

Extents the kernel cannot place (delayed allocation, inline data, unwritten
or encoded extents) are skipped: flipping bits there would not touch the
file's data. The last extent is clipped to the file's size, because the tail
of its last block is not file data either.
"""

from __future__ import annotations

import fcntl
import os
import struct
from collections.abc import Sequence
from pathlib import Path

from ..disk.mounting import mounted
from ..errors import UsageError
from .records import Extent
from .select import files_under

FS_IOC_FIEMAP = 0xC020660B
FIEMAP_FLAG_SYNC = 0x1  # flush dirty pages first, so delayed allocations get real addresses
_HEADER = struct.Struct("=QQLLLL")  # fm_start, fm_length, fm_flags, fm_mapped_extents, fm_extent_count, reserved
_EXTENT = struct.Struct("=QQQQQLLLL")  # logical, physical, length, reserved64[2], flags, reserved[3]
_BATCH = 256
# Extents whose physical address is not a plain place on the disk.
_UNPLACEABLE = 0x2 | 0x4 | 0x8 | 0x80 | 0x200 | 0x800  # UNKNOWN DELALLOC ENCODED ENCRYPTED INLINE UNWRITTEN
_LAST = 0x1


def fiemap(fd: int) -> list[tuple[int, int, int, int]]:
    """Raw FIEMAP extents of an open file: (logical, physical, length, flags), all in bytes."""
    found: list[tuple[int, int, int, int]] = []
    start = 0
    while True:
        request = bytearray(_HEADER.size + _BATCH * _EXTENT.size)
        _HEADER.pack_into(request, 0, start, 0xFFFFFFFFFFFFFFFF - start, FIEMAP_FLAG_SYNC, 0, _BATCH, 0)
        fcntl.ioctl(fd, FS_IOC_FIEMAP, request)
        mapped = _HEADER.unpack_from(request, 0)[3]
        if mapped == 0:
            return found
        last_flags = 0
        for index in range(mapped):
            logical, physical, length, _r1, _r2, flags, *_ = _EXTENT.unpack_from(
                request, _HEADER.size + index * _EXTENT.size
            )
            found.append((logical, physical, length, flags))
            start, last_flags = logical + length, flags
        if last_flags & _LAST:
            return found


def file_extents(path: Path, partition_offset: int) -> list[Extent]:
    """The image byte ranges that hold ``path``'s data (clipped to its size, unplaceable extents left out)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        raw = fiemap(fd)
    finally:
        os.close(fd)
    return placeable(raw, size, partition_offset)


def placeable(raw: list[tuple[int, int, int, int]], size: int, partition_offset: int) -> list[Extent]:
    """Turn raw FIEMAP extents into image ranges of real file data (pure)."""
    extents = []
    for logical, physical, length, flags in raw:
        if flags & _UNPLACEABLE or logical >= size:
            continue
        length = min(length, size - logical)
        extents.append(Extent(logical, partition_offset + physical, length))
    return extents


def locate_files(image: Path, role: str, partition_offset: int,
                 paths: Sequence[str]) -> tuple[list[tuple[str, list[Extent]]], int]:
    """Mount read-only, locate every file under ``paths`` (folders or files), unmount.

    Returns [(relative path, extents)] for the files with placeable data, and the filesystem block size.
    """
    with mounted(image, role, readonly=True) as point:
        names = files_under(point, paths)
        if not names:
            raise UsageError(f"no files under {', '.join(paths)}: write some first")
        located = [(name, file_extents(point / name, partition_offset)) for name in names]
        block_size = os.statvfs(point).f_bsize
    return [(name, extents) for name, extents in located if extents], block_size
