"""Mounting partitions of workspace images, always released on the way out; finding and freezing mounts."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .. import proc, workspace
from . import owners
from .loop import attached, loops_of
from .table import read_table

log = logging.getLogger("workbench.disk")


@contextmanager
def mounted(
    image: Path, role: str = "root", *, readonly: bool = False, options: Sequence[str] = (),
    at: Path | None = None, direct_io: bool = False,
) -> Iterator[Path]:
    """Mount one partition (by role: 'root' or 'data') of a workspace image and yield the mount point.

    ``at`` names a fixed mount point inside the workspace (a machine's root is always in the same
    place, which path-keyed tools such as a two-way sync's state rely on); by default a fresh one.
    ``direct_io``: attach with direct I/O (``loop.attach``), for a power-cut copy of the image.
    """
    partition = read_table(image).by_role(role)
    with attached(image, partition, readonly=readonly, direct_io=direct_io) as device:
        with mounted_device(device, readonly=readonly, options=options, label=Path(image).stem, at=at) as point:
            yield point


@contextmanager
def mounted_device(
    device: str, *, readonly: bool = False, options: Sequence[str] = (), label: str = "disk",
    at: Path | None = None,
) -> Iterator[Path]:
    """Mount a device we attached on a fresh directory inside the workspace (or on ``at``, inside it too)."""
    if at is None:
        point = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=workspace.mount_dir()))
    else:
        point = workspace.resolve(at)
        point.mkdir(parents=True)
    opts = list(options) + (["ro"] if readonly else [])
    args = ["mount", *(["-o", ",".join(opts)] if opts else []), device, str(point)]
    try:
        with owners.claimed("mounts", point):
            proc.run(args, what=f"mounting {device}")
            try:
                yield point
            finally:
                unmount(point)
    finally:
        _remove_dir(point)


def unmount(point: Path) -> None:
    """Unmount, retrying briefly while busy, and lazily as a last resort so nothing stays attached."""
    for attempt in range(5):
        done = proc.run(["umount", point], check=False)
        if done.returncode == 0:
            return
        time.sleep(0.1 * (attempt + 1))
    log.warning("%s stayed busy; unmounting lazily", point)
    proc.run(["umount", "--lazy", point], check=False)


def mounts_of(image: Path) -> list[Path]:
    """Mount points of filesystems on loop devices backed by this image."""
    devices = set(loops_of(image))
    if not devices:
        return []
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        source = fields[fields.index("-") + 2]
        if source in devices:
            points.append(Path(fields[4].encode().decode("unicode_escape")))
    return points


@contextmanager
def frozen(points: Sequence[Path]) -> Iterator[list[Path]]:
    """Freeze each mounted filesystem (``fsfreeze``: dirty data flushed, writers blocked); yield those frozen.

    Whatever happens, every one frozen is thawed on the way out.
    """
    done: list[Path] = []
    try:
        for point in points:
            proc.run(["fsfreeze", "--freeze", point], what=f"freezing {point}")
            done.append(point)
        yield done
    finally:
        for point in done:
            proc.run(["fsfreeze", "--unfreeze", point], check=False)


def drop_caches(*paths: Path) -> None:
    """Forget cached pages, so the next reads come from the bytes on disk.

    With paths: flush and drop only those files' pages (cheap, and kind to the
    rest of the machine). Without: sync everything and drop the whole page cache.
    """
    if not paths:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _remove_dir(point: Path) -> None:
    try:
        point.rmdir()
    except OSError:
        pass
