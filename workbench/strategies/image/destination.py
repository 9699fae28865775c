"""Preparing the disk file a block-level restore writes into (image and clone share it)."""

from __future__ import annotations

import os
from pathlib import Path

from ... import guard, workspace
from ...disk.loop import loops_of
from ...errors import UsageError
from ...units import format_bytes


def prepare(destination: Path, disk_size: int, *, force: bool = False, size: int | None = None,
            name: str = "restored.img") -> tuple[Path, int]:
    """Return (disk file, its size), blank and sparse, ready for ``guard.open_for_write``.

    ``destination`` is a workspace disk (overwritten only with ``force``; it
    must be at least ``disk_size``), a new path (created with ``size`` or
    ``disk_size``), or a new or empty directory (the disk is made inside it).
    """
    path = workspace.resolve(destination)
    if path.is_dir():
        if any(path.iterdir()):
            raise UsageError(f"'{workspace.display(path)}' is a directory that is not empty: "
                             "give a new or empty directory, or a disk image path")
        path = path / name
    wanted = max(size or 0, disk_size)
    if path.exists():
        if not force:
            raise UsageError(f"'{workspace.display(path)}' already exists: pass --force to overwrite that disk")
        guard.check_image(path)
        if loops_of(path):
            raise UsageError(f"'{workspace.display(path)}' is attached (mounted?): release it first")
        current = path.stat().st_size
        if current < disk_size:
            raise UsageError(
                f"'{workspace.display(path)}' is too small: {format_bytes(current)}, the image needs "
                f"{format_bytes(disk_size)} ({disk_size} bytes); restore onto a disk at least that large")
        wanted = max(current, size or 0)
    if size is not None and size < disk_size:
        raise UsageError(f"--size {format_bytes(size)} is too small: the image needs "
                         f"{format_bytes(disk_size)} ({disk_size} bytes)")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab"):
        pass
    fd = guard.open_for_write(path)
    try:
        os.ftruncate(fd, 0)  # drop every old block: the disk starts blank and sparse
        os.ftruncate(fd, wanted)
    finally:
        os.close(fd)
    return path, wanted
