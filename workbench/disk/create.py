"""Creating disk images from a layout, and importing a user's own disk image."""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from .. import durable, guard, proc, workspace
from ..errors import SafetyError, UsageError
from ..sparse import sparse_copy
from . import bootcode, esp, usage
from .layout import MiB, plan
from .table import Partition, PartitionTable, read_table

log = logging.getLogger("workbench.disk")


def create_disk(path: str | os.PathLike[str], layout: str = "system", size_bytes: int = 256 * MiB,
                *, overwrite: bool = False) -> Path:
    """Create a sparse raw disk image in the workspace and return its real path.

    The sequence is: sparse file -> GPT (sfdisk) -> sizes read back from the
    table -> filesystems made with exactly those sizes. Guessing a size for
    mkfs could overrun the partition and destroy the backup GPT.
    """
    disk_plan = plan(layout, size_bytes)
    target = workspace.new_file(path, overwrite=overwrite)
    _check_room(target, size_bytes)
    with open(target, "wb") as handle:
        handle.truncate(size_bytes)
    try:
        proc.run(["sfdisk", "--quiet", target], input=disk_plan.sfdisk_script().encode(), what="writing the GPT")
        _write_boot_code(target)
        table = read_table(target)
        root_uuid = str(uuid.uuid4())
        for part in table.partitions:
            if part.role != "esp":
                make_ext4(target, part, label=part.name, fs_uuid=root_uuid)
        for part in table.partitions:
            if part.role == "esp":
                _make_esp(target, part, root_uuid)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    log.info("created %s (%s, %d MiB)", target, layout, size_bytes // MiB)
    return target


def _check_room(target: Path, size_bytes: int) -> None:
    """Refuse a disk larger than the free space where it would live: it could never be filled, and
    making its filesystems alone would take minutes and gigabytes (mkfs of a sparse 10 TiB image)."""
    stats = os.statvfs(target.parent)
    free = stats.f_bavail * stats.f_frsize
    if size_bytes > free:
        raise UsageError(f"a {size_bytes} byte disk is larger than the {free} bytes free in {target.parent}: "
                         "give a smaller --size, or free space")


def root_usage(size_bytes: int, layout: str = "system") -> usage.Usage:
    """The root filesystem of a new ``layout`` disk of ``size_bytes``: what it can hold (df's Size) and its
    block size, found by making one.

    ext4's own overhead (inode tables, journal, group descriptors) changes in steps
    with the size and the block size mke2fs picks, so a disk made and read is the
    one exact answer. The throwaway disk is sparse: making it writes a few MiB.
    """
    probe = workspace.home() / f".capacity-{uuid.uuid4().hex[:12]}.img"
    try:
        create_disk(probe, layout, size_bytes)
        table = read_table(probe)
        return usage.ext4_usage(probe, table.by_role("root" if layout == "system" else "data"))
    finally:
        probe.unlink(missing_ok=True)


def make_ext4(image: Path, part: Partition, *, label: str, fs_uuid: str) -> None:
    """mkfs.ext4 inside the partition, sized in whole KiB from the table; mounted with discard and commit=300.

    Both mount options live in the superblock, so every mount of the disk (and of an
    image or clone of it) has them. ``discard`` gives freed blocks back to the image
    file, as a trimmed SSD does: a clone, which keeps every non-zero block, then keeps
    the data, not whatever deleted and rewritten files left behind. ``commit=300``
    commits the journal when the workload syncs or unmounts rather than every 5 s of
    wall time, so how much of the journal is written no longer depends on this
    machine's speed. Together they took the spread of footprints over repetitions
    from 7 % to 1 % (image) and 2.5 % to 0.2 % (clone); see docs/results.md.

    ``-E lazy_itable_init=0,lazy_journal_init=0`` would change nothing: mke2fs
    discards a regular file before formatting it, and a discarded file reads back as
    zeros, so it marks every inode table zeroed and leaves the kernel's lazy-init
    thread nothing to write (measured: the footprints varied as much with them).
    """
    with guard.held(image, write=True, image_only=True) as disk:
        proc.run(
            ["mkfs.ext4", "-q", "-F", "-L", label, "-U", fs_uuid, "-E", f"offset={part.start_bytes}",
             disk.path, f"{part.size_bytes // 1024}k"],
            what=f"formatting partition {part.number} as ext4", pass_fds=(disk.fd,),
        )
        proc.run(["tune2fs", "-o", "discard", "-E", "mount_opts=commit=300", f"{disk.path}?offset={part.start_bytes}"],
                 what="setting the filesystem's mount options", pass_fds=(disk.fd,))


def _write_boot_code(image: Path) -> None:
    fd = guard.open_for_write(image)
    try:
        os.pwrite(fd, bootcode.boot_code(os.urandom(16)), 0)
    finally:
        os.close(fd)


def _make_esp(image: Path, part: Partition, root_uuid: str) -> None:
    esp.format_esp(image, part)
    with tempfile.TemporaryDirectory(prefix="esp-src-") as tmp:
        loader = Path(tmp) / bootcode.BOOT_LOADER_PATH
        loader.parent.mkdir(parents=True)
        loader.write_bytes(bootcode.boot_loader())
        (Path(tmp) / bootcode.BOOT_CONFIG_PATH).write_bytes(bootcode.boot_config(root_uuid))
        esp.copy_in(image, part, Path(tmp))


def import_disk(source: str | os.PathLike[str], path: str | os.PathLike[str] | None = None,
                *, overwrite: bool = False,
                progress: Callable[[int, int], None] | None = None) -> tuple[Path, PartitionTable]:
    """Copy an existing raw disk image (a VM's disk, say) into the workspace, sparsely.

    This is the one raw read of a file outside the workspace, and the feature needs
    it: the source may live anywhere, but it must be a regular file (checked on the
    open descriptor, so a device is refused however it is named), and it is only
    ever opened read-only. Everything after the copy reads the copy.
    The copy is made beside the target as ``.NAME.partial`` and renamed once complete
    and fsynced, so a killed import leaves no disk that looks whole (the next import
    of the same name starts that partial file over). ``progress(bytes copied, data bytes)``.
    """
    src = Path(source).expanduser()
    if not src.is_file():
        raise UsageError(f"'{source}' is not a file: give the path of a raw disk image (.img/.raw)")
    target = workspace.new_file(path or src.name, overwrite=overwrite)
    if target == src.resolve():
        raise UsageError(f"'{source}' is already in the workspace")
    src_fd = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _check_source(source, src_fd)
        _copy_into(src_fd, target, progress)
    finally:
        os.close(src_fd)
    return target, read_table(target)


def _copy_into(src_fd: int, target: Path, progress: Callable[[int, int], None] | None) -> None:
    """Copy sparsely into ``target``'s partial file, renamed into place when whole; a half-made copy is removed."""
    with durable.replacing(target, aside=target.with_name(f".{target.name}.partial")) as partial:
        dst_fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        try:
            sparse_copy(src_fd, dst_fd, progress)
        finally:
            os.close(dst_fd)


def _check_source(source: str | os.PathLike[str], fd: int) -> None:
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise SafetyError(f"'{source}' is not a regular file: refusing to read it")
    if os.pread(fd, 4, 0) == b"QFI\xfb":
        raise UsageError(f"'{source}' is a qcow2 image: convert it with 'qemu-img convert -O raw' first")
