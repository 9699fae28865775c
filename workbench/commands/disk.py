"""``workbench disk``: create, import, check, mount, list and remove loopback disks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import proc, workspace
from ..disk import boot, create, health
from ..disk.mounting import mounted
from ..disk.served import users_of
from ..disk.table import PartitionTable, read_table
from ..errors import UsageError
from ..units import parse_size

#: What ``disk list`` shows: the workbench's own images and imported raw disks.
IMAGE_SUFFIXES = (".img", ".raw")


@dataclass(frozen=True)
class DiskImage:
    path: str  # as the workspace shows it
    size_bytes: int
    allocated_bytes: int  # what the sparse file really uses
    attached: list[str]  # loop devices holding it


def disk_create(path: str | Path, *, layout: str = "system", size: int | str = "256M", force: bool = False) -> Path:
    """A new sparse disk image from a layout ('system' or 'data'); an existing file is kept unless ``force``."""
    return create.create_disk(path, layout, parse_size(size), overwrite=force)


def disk_import(source: str | Path, path: str | Path | None = None, *,
                force: bool = False) -> tuple[Path, PartitionTable]:
    """Copy a raw disk image (only read, never written) into the workspace, sparsely; returns it and its table."""
    return create.import_disk(source, path, overwrite=force)


def disk_check(path: str | Path) -> health.Health:
    """The read-only health check: partition table, boot code, ESP, fsck (``.ok`` when all is sound)."""
    return health.check(path)


@contextmanager
def disk_mount(path: str | Path, *, partition: str | None = None, readonly: bool = False) -> Iterator[Path]:
    """Mount the root (or, on a data disk, the data) partition for the ``with`` block; yields the mount point."""
    image = workspace.resolve(path, must_exist=True)
    with mounted(image, partition or _default_role(image), readonly=readonly) as point:
        yield point


def disk_run(path: str | Path, command: Sequence[str], *, partition: str | None = None,
             readonly: bool = False) -> int:
    """Run a command inside the mounted filesystem (its working directory, and $WORKBENCH_MOUNT); its exit code."""
    with disk_mount(path, partition=partition, readonly=readonly) as point:
        return proc.run_attached(list(command), cwd=point, env={"WORKBENCH_MOUNT": str(point)})


def disk_list() -> list[DiskImage]:
    """The disk images in the workspace, with their sizes and the loop devices attached to them (directly, or
    through the served file of a disk with bad sectors)."""
    rows = []
    for path in sorted(workspace.home().rglob("*")):
        if path.suffix not in IMAGE_SUFFIXES or path.is_relative_to(workspace.mount_dir()) or not path.is_file():
            continue
        st = path.stat()
        rows.append(DiskImage(workspace.display(path), st.st_size, st.st_blocks * 512, users_of(path)))
    return rows


def disk_boot(path: str | Path, *, timeout_s: float | None = None, accel: str = "tcg",
              console_log: str | Path | None = None, progress: boot.Progress | None = None) -> boot.BootResult:
    """Boot a disk under QEMU on a throw-away overlay and judge whether its system starts."""
    image = workspace.resolve(path, must_exist=True)
    log = workspace.new_file(console_log, overwrite=True) if console_log else None
    return boot.boot(image, timeout_s=timeout_s or boot.DEFAULT_TIMEOUT_S, accel=accel, console_log=log,
                     progress=progress)


def disk_rm(path: str | Path) -> Path:
    """Delete a disk image; refused while a loop device holds it."""
    image = workspace.resolve(path, must_exist=True)
    if not image.is_file():
        raise UsageError(f"'{path}' is not a disk image file")
    busy = users_of(image)
    if busy:
        raise UsageError(f"'{path}' is attached as {', '.join(busy)}: release it first ('workbench cleanup')")
    image.unlink()
    return image


def _default_role(image: Path) -> str:
    return "root" if any(p.role == "root" for p in read_table(image).partitions) else "data"
