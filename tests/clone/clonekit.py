"""Helpers shared by the clone tests: a whole-file digest and a one-byte XOR flip."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path


def digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes()).hexdigest()


def flip(path: Path, offset: int, mask: int = 0x5A) -> None:
    """XOR one byte (writing a constant would be a no-op whenever the byte already holds it)."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.pwrite(fd, bytes([os.pread(fd, 1, offset)[0] ^ mask]), offset)
    finally:
        os.close(fd)


def sparse_file(path: Path, size: int, pieces: list[tuple[int, int]], seed: int) -> Path:
    """A file of ``size`` bytes, holes but for seeded random bytes at each (offset, length) piece."""
    rng = random.Random(seed)
    with open(path, "wb") as handle:
        handle.truncate(size)
        for offset, length in pieces:
            handle.seek(offset)
            handle.write(rng.randbytes(length))
    return path
