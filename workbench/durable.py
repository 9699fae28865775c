"""Replacing a file so that a crash or a power cut leaves the old content or the new one, never a mix.

The order is what makes it durable: the new content is written aside on the same
filesystem, fsynced, renamed over the old name, and then the folder is fsynced so that
the rename itself is on disk. Every file the workbench keeps (backup repository files,
image points, clone hash lists, mirror records, results, bad-sector lists) is written
through ``replacing``.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OperationFailed

_LIBC = ctypes.CDLL(None, use_errno=True)


def fsync_dir(path: Path) -> None:
    """Make the names in a folder durable (a rename or a new file in it)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_filesystem(path: Path) -> None:
    """Write out everything cached for the filesystem holding ``path`` (syncfs(2)): data, inodes, names.

    One call makes a whole tree just written durable, where an fsync of each file and folder
    would cost a flush each; other filesystems are left alone (``os.sync`` would flush them all).
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _LIBC.syncfs(fd) != 0:  # a writeback error (EIO): what the sync wrote may not be on the disk
            raise OperationFailed(f"the filesystem of '{path}' could not be written out "
                                  f"({os.strerror(ctypes.get_errno())}): check the disk, then sync again")
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def replacing(path: Path, *, aside: Path | None = None, sync: bool = True) -> Iterator[Path]:
    """Yield the path to write ``path``'s new content to; when the block ends, it replaces ``path``.

    ``aside`` is where that content is written: by default a hidden name of its own beside
    ``path``; a caller whose readers skip some names (the mirror's, the image store's) or
    that keeps a folder for them (the backup repository's ``tmp/``) names it. It must be on
    the same filesystem. ``sync=False`` leaves out both fsyncs: the replacement is still
    atomic, but not durable across a power cut (a clone or an image point without
    ``--sync``). If the block raises, the file aside is removed and ``path`` is untouched.
    """
    path = Path(path)
    temp = aside if aside is not None else path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
    try:
        yield temp
        if sync:
            fsync_file(temp)
        os.rename(temp, path)  # os.replace is the same call on POSIX; the durability tests watch rename
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if sync:
        fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes, *, aside: Path | None = None, sync: bool = True) -> Path:
    """Replace ``path`` with ``data`` (see ``replacing``); returns ``path``."""
    with replacing(path, aside=aside, sync=sync) as temp, open(temp, "wb") as out:
        out.write(data)
    return Path(path)
