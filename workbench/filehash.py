"""The BLAKE3 hash of a file's content: the one file hasher of the manifest and the mirror.

Files are read in blocks of ``BLOCK`` bytes into one page-aligned buffer per thread, reused
from file to file (``readv`` into it). A fresh ``read`` allocates its result each time, and an allocation
of that size is a new mapping whose pages the kernel must zero and fault in: on a 21,800-file
tree in the page cache, reading this way took 0.32 s against 0.49 s for ``read``
(measured; the hashing itself is the same either way). No file is memory-mapped, although
BLAKE3 offers it: a page of a mapped file that the disk cannot read (a bad sector) kills the
process with SIGBUS, and so does a file truncated while it is hashed (a live tree), where a
read raises ``OSError`` (``EIO``) or returns fewer bytes. The manifest records such a file
as unreadable and goes on; a killed process records nothing.
"""

from __future__ import annotations

import mmap
import os
import threading

import blake3

#: The read size, and the size of each thread's buffer.
BLOCK = 1 << 20
#: A process that may map files (a worker, see ``hash_file_mapped``) maps them from this size on; smaller
#: ones it reads, which took 7.6 against 8.5 µs a file for the laptop tree's 20,207 files below 64 KiB
#: (measured), and cannot die of SIGBUS.
MAPPED_BYTES = 64 << 10
#: What a file costs to hash besides its bytes (open, read or map, close, and for a manifest its
#: xattrs and row: about 10 µs), in bytes hashed in the same time (BLAKE3 at about 2 GB/s a core):
#: for sharing files out evenly among workers (``workers.split_by_cost``, ``Started.feed``).
FILE_COST_BYTES = 20_000


class _Buffer(threading.local):
    """A thread's read buffer, page-aligned: an anonymous mapping starts on a page, where a
    ``bytearray`` of this size starts 16 bytes past one, and the kernel's copy into a buffer off
    a page boundary took about twice the CPU (0.41 against 0.85-1.6 s for the laptop tree's
    reads, measured; the clone found the same, see ``strategies.image.readbuf``)."""

    def __init__(self) -> None:
        self.data = mmap.mmap(-1, BLOCK)
        self.view = memoryview(self.data)


_buffer = _Buffer()


def hash_file(path: str | os.PathLike[str]) -> bytes:
    """The 32-byte BLAKE3 digest of the file's content, read to its end."""
    buffer, view = _buffer.data, _buffer.view
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        hasher = blake3.blake3()
        while count := os.readv(fd, [buffer]):
            hasher.update(view[:count])
        return hasher.digest()
    finally:
        os.close(fd)


def hash_sized(path: str, size: int, *, mapped: bool) -> bytes:
    """``hash_file_mapped`` of a file of ``MAPPED_BYTES`` or more (by its ``size`` when listed) if
    ``mapped``, else ``hash_file``."""
    return hash_file_mapped(path) if mapped and size >= MAPPED_BYTES else hash_file(path)


def hash_file_mapped(path: str | os.PathLike[str]) -> bytes:
    """The same digest, from the file memory-mapped: no copy into a buffer. Against ``hash_file``
    it took 0.56 against 0.60 CPU s for the laptop tree's 636 files above 256 KiB, and 0.31
    against 0.29 for its 18,440 below 16 KiB (measured).

    Only for a process that may die of it: a page the disk cannot read, or a file truncated
    while mapped, is SIGBUS. The manifest's worker processes use it, and their parent hashes
    again by reading when one dies so (see ``truth.manifest``).
    """
    hasher = blake3.blake3()
    hasher.update_mmap(path)
    return hasher.digest()
