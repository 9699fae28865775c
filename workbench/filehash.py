"""The BLAKE3 hash of a file's content: the one file hasher of the manifest and the mirror.

Files up to ``ONE_READ`` bytes are read in one call; bigger ones in blocks of that size, so
a worker holds at most that much. No file is memory-mapped, although BLAKE3 offers it: a
page of a mapped file that the disk cannot read (a bad sector) kills the process with
SIGBUS, and so does a file truncated while it is hashed (a live tree), where a read
raises ``OSError`` (``EIO``) or returns fewer bytes. The manifest records such a file as
unreadable and goes on; a killed process records nothing.
"""

from __future__ import annotations

import os

import blake3

#: Up to here, one read; beyond, blocks of this size.
ONE_READ = 1 << 20


def hash_file(path: str | os.PathLike[str], size: int | None = None) -> bytes:
    """The 32-byte BLAKE3 digest of the file's content; ``size`` (its lstat size) saves a stat."""
    with open(path, "rb", buffering=0) as handle:
        if size is None:
            size = os.fstat(handle.fileno()).st_size
        if size <= ONE_READ:
            return blake3.blake3(handle.read()).digest()
        hasher = blake3.blake3()
        while block := handle.read(ONE_READ):
            hasher.update(block)
        return hasher.digest()
