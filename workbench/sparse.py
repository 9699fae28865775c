"""Copying files fast while keeping holes (SEEK_DATA/SEEK_HOLE + copy_file_range)."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable

_NO_SEEK_DATA = (errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS)  # a filesystem that cannot tell holes
PROGRESS_PIECE = 1 << 20  # the bytes copied between two progress calls


def data_extents(fd: int, size: int) -> list[tuple[int, int]]:
    """(offset, length) of every data region of an open file; holes are skipped.

    Where SEEK_DATA is not supported, the rest of the file counts as data:
    slower (holes are read as zeros) but the same bytes.
    """
    extents = []
    offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # only a hole remains
                break
            if exc.errno not in _NO_SEEK_DATA:
                raise
            start, end = offset, size
        else:
            end = os.lseek(fd, start, os.SEEK_HOLE)
        extents.append((start, end - start))
        offset = end
    return extents


def copy_range(src: int, dst: int, offset: int, length: int) -> int:
    """Copy bytes at the same offset in both files, in-kernel when possible. Returns bytes copied."""
    done = 0
    while done < length:
        try:
            n = os.copy_file_range(src, dst, length - done, offset + done, offset + done)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
            n = _copy_by_reading(src, dst, offset + done, length - done)
        if n == 0:
            break
        done += n
    return done


def _copy_by_reading(src: int, dst: int, offset: int, length: int) -> int:
    chunk = os.pread(src, min(length, 8 << 20), offset)
    return os.pwrite(dst, chunk, offset) if chunk else 0


def sparse_copy(src: int, dst: int, progress: Callable[[int, int], None] | None = None) -> int:
    """Copy a whole file keeping its holes; the destination gets the same size. Returns bytes copied.

    ``progress(bytes copied, data bytes)`` follows each piece of at most PROGRESS_PIECE bytes
    (without it, each data extent is one in-kernel copy).
    """
    size = os.fstat(src).st_size
    os.ftruncate(dst, size)
    extents = data_extents(src, size)
    total = sum(length for _, length in extents)
    copied = 0
    for offset, length in extents:
        piece = PROGRESS_PIECE if progress is not None else length
        for start in range(offset, offset + length, piece):
            copied += copy_range(src, dst, start, min(piece, offset + length - start))
            if progress is not None:
                progress(copied, total)
    return copied
