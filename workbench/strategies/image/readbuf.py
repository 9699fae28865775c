"""Reading scattered byte ranges into a reused, per-thread buffer.

A fresh ``bytearray`` per chunk costs a page fault per 4 KiB on first touch
(large allocations are fresh mmaps); on this machine that was a fifth of the
time of a clone pass. Each thread keeps one buffer; the gaps between the
ranges read are zeroed from a shared zero page run instead.

The kernel copies page cache to and from user memory much faster when the user
buffer starts on a page boundary, as the page does: a fresh 1 MiB ``bytearray`` sits
16 bytes past one (malloc's header in front of a fresh mmap), and reading a warm
file into it took five times the CPU here. So a ``PageAlignedBuffer`` hands out a
view that starts on a page, and ``ThreadBuffers`` hands one to each thread.

Rescue reading, as ddrescue does: given a list for ``unreadable``, a range
whose read fails with EIO (a bad sector) is read again sector by sector;
the sectors that still fail are left zero and named in the list, and the
copy goes on with the rest.
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import threading
from collections.abc import Iterable

#: The unit of a rescue read: the smallest read a disk answers.
SECTOR = 512


class PageAlignedBuffer:
    """``size`` bytes whose first byte is on a page boundary: ``view``, and ``raw`` from byte ``offset``."""

    def __init__(self, size: int) -> None:
        self.raw = bytearray(size + mmap.PAGESIZE)
        address = ctypes.addressof((ctypes.c_char * len(self.raw)).from_buffer(self.raw))
        self.offset = -address % mmap.PAGESIZE
        self.view = memoryview(self.raw)[self.offset:self.offset + size]

    def is_zero(self, zero: bytes, start: int) -> bool:
        """Whether ``len(zero)`` bytes from ``start`` (in ``view``) are all zero, ``zero`` being that many."""
        return self.raw.startswith(zero, self.offset + start)


class ThreadBuffers:
    def __init__(self, size: int) -> None:
        self.size = size
        self.zeros = memoryview(bytes(size))
        self._local = threading.local()

    def get(self) -> PageAlignedBuffer:
        buf: PageAlignedBuffer | None = getattr(self._local, "buf", None)
        if buf is None:
            buf = self._local.buf = PageAlignedBuffer(self.size)
        return buf


def read_ranges(fd: int, buf: bytearray | memoryview, start: int, length: int, reads: Iterable[tuple[int, int]],
                zeros: memoryview, unreadable: list[tuple[int, int]] | None = None) -> int:
    """Fill ``buf[:length]`` with disk bytes ``start..start+length``: ``reads`` (sorted (offset, count)
    inside it) from ``fd``, zeros elsewhere. Returns the bytes read.

    ``unreadable``: rescue what a read error spares (see the module text); (offset, length) of each run
    of sectors that would not read is appended. Without it, the read error is raised.
    """
    view = memoryview(buf)
    pos = done = 0
    for offset, count in reads:
        rel = offset - start
        if rel > pos:
            view[pos:rel] = zeros[:rel - pos]
        try:
            done += os.preadv(fd, [view[rel:rel + count]], offset)
        except OSError as exc:
            if unreadable is None or exc.errno != errno.EIO:
                raise
            done += _rescue(fd, view[rel:rel + count], offset, zeros, unreadable)
        pos = rel + count
    if pos < length:
        view[pos:length] = zeros[:length - pos]
    return done


def _rescue(fd: int, view: memoryview, offset: int, zeros: memoryview, unreadable: list[tuple[int, int]]) -> int:
    """Read ``view`` sector by sector from ``offset``; zero and note the sectors that fail. The bytes read."""
    done = 0
    bad_start = bad_end = -1
    for rel in range(0, len(view), SECTOR):
        part = view[rel:rel + SECTOR]
        try:
            done += os.preadv(fd, [part], offset + rel)
            continue
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
        part[:] = zeros[:len(part)]
        if bad_end == offset + rel:
            bad_end += len(part)
        else:
            if bad_end > bad_start >= 0:
                unreadable.append((bad_start, bad_end - bad_start))
            bad_start, bad_end = offset + rel, offset + rel + len(part)
    if bad_end > bad_start >= 0:
        unreadable.append((bad_start, bad_end - bad_start))
    return done
