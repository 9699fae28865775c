"""Raw writes into image files, underneath any filesystem, through the guard's one door.

A raw write under a mounted filesystem would race with its page cache, and
the damage might be overwritten or never seen. So every function here refuses
an image that is still attached to a loop device, and drops the caches after
writing, so the next mount reads the damaged bytes from the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from .. import guard
from ..disk.loop import loops_of
from ..disk.mounting import drop_caches
from ..errors import UsageError
from .records import BitFlip


def require_detached(image: Path) -> Path:
    """The real path of a workspace image that no loop device holds, or a UsageError."""
    real = guard.check_image(image)
    busy = loops_of(real)
    if busy:
        raise UsageError(
            f"'{real.name}' is attached as {', '.join(busy)}: unmount it before a raw-byte fault "
            "(or run 'workbench cleanup')"
        )
    return real


def flip_bits(path: Path, flips: Iterable[BitFlip], *, drop: bool = True) -> None:
    """XOR each recorded bit in place (XOR, so every flip is a real change); ``drop``: drop caches after."""
    fd = guard.open_for_write(path)
    try:
        for flip in flips:
            byte = os.pread(fd, 1, flip.offset)
            if len(byte) != 1:
                raise UsageError(f"offset {flip.offset} is past the end of {Path(path).name}")
            os.pwrite(fd, bytes([byte[0] ^ (1 << flip.bit)]), flip.offset)
        os.fsync(fd)
    finally:
        os.close(fd)
    if drop:
        drop_caches(path)


def overwrite(path: Path, offset: int, data: bytes) -> int:
    """Write ``data`` at ``offset``; return how many bytes really changed."""
    before = _rewrite(path, offset, len(data), lambda _: data)
    return sum(a != b for a, b in zip(before, data))


def xor_region(path: Path, offset: int, mask: bytes) -> int:
    """XOR ``mask`` into the bytes at ``offset``; return how many bytes changed (mask bytes not zero)."""
    _rewrite(path, offset, len(mask), lambda before: bytes(a ^ b for a, b in zip(before, mask)))
    return sum(1 for b in mask if b)


def _rewrite(path: Path, offset: int, length: int, change: Callable[[bytes], bytes]) -> bytes:
    """Replace the ``length`` bytes at ``offset`` by ``change`` of them, synced and out of the cache; the old bytes."""
    fd = guard.open_for_write(path)
    try:
        before = os.pread(fd, length, offset)
        if len(before) != length:
            raise UsageError(f"{length} bytes at offset {offset} run past the end of {Path(path).name}")
        os.pwrite(fd, change(before), offset)
        os.fsync(fd)
    finally:
        os.close(fd)
    drop_caches(path)
    return before
