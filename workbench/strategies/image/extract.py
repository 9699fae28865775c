"""Single-file restore: bring back files from an image without restoring the whole disk.

Only the chunks of the filesystem's partition are reconstructed (checked as
in a full restore) into a sparse temporary file inside the workspace; then
``debugfs rdump`` copies the asked path out of it. No loop device, no mount,
no root needed; the temporary file is removed whatever happens.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ... import guard, workspace
from ...disk import ext4
from ...errors import DamageFound, UsageError
from .restore import write_chain
from .store import PointFile


def partition_span(point: PointFile, role: str) -> tuple[int, int]:
    for part in point.header["table"]["partitions"]:
        if part.get("role") == role:
            return part["start"], part["size"]
    roles = ", ".join(str(p.get("role")) for p in point.header["table"]["partitions"]) or "none"
    raise UsageError(f"the image has no '{role}' partition (it has: {roles})")


def extract(point_chain: list[PointFile], path_in_fs: str, dest_dir: Path, *, role: str = "root",
            workers: int = 2) -> Path:
    """Copy ``path_in_fs`` (file or directory) out of the point into ``dest_dir``; return the copy."""
    inner = "/" + path_in_fs.strip("/")
    if inner == "/":
        raise UsageError("give a file or folder inside the filesystem, e.g. /home/user/notes.txt")
    if '"' in inner or '"' in str(dest_dir):
        raise UsageError(f"'{path_in_fs}': paths with double quotes cannot be passed to debugfs; "
                         "copy the folder above it")
    dest_dir.mkdir(parents=True, exist_ok=True)
    with rebuilt_partition(point_chain, role, workers=workers) as part_file:
        messages = ext4.rdump(part_file, inner, dest_dir)
    copied = dest_dir / Path(inner).name
    if not copied.exists():
        message = messages.strip().splitlines()
        detail = message[-1] if message else "not found"
        raise UsageError(f"'{inner}' cannot be copied out of point {point_chain[0].id}: {detail}")
    return copied


@contextmanager
def rebuilt_partition(point_chain: list[PointFile], role: str = "root", *, workers: int = 2) -> Iterator[Path]:
    """The point's ``role`` partition rebuilt alone, checked chunk by chunk, as a sparse file in the
    workspace's scratch space; removed on the way out. Damage in it raises ``DamageFound``."""
    start, size = partition_span(point_chain[0], role)
    scratch = workspace.home() / ".tmp"
    scratch.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="extract-", dir=scratch))
    try:
        part_file = tmp / "partition.img"
        part_file.touch()
        fd = guard.open_for_write(part_file)
        try:
            os.ftruncate(fd, size)
            result = write_chain(point_chain, fd, window=(start, size), workers=workers)
        finally:
            os.close(fd)
        if result.damage:
            spans = "; ".join(f"chunk {d.index} ({d.reason})" for d in result.damage[:5])
            raise DamageFound(f"the {role} partition of point {point_chain[0].id} is damaged: {spans}; "
                              "see 'workbench image verify'")
        yield part_file
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
