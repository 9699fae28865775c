"""An imported raw disk as a workload (``compare --disk IMG``): its layout checked, its root read-only.

Accepted: a GPT disk with one ext4 partition (its root) and, optionally, one EFI
System Partition. Anything else is refused with one line saying what was found,
since a cell copies that root's files onto its own fresh system disk and there
would be no telling which of several filesystems the user meant.

Filesystems are told apart by their superblock magic, read from the image file
(no tool, no loop device). The root is mounted read-only on a read-only loop
device, so nothing can be written; a root whose journal still needs replaying
is mounted with ``noload`` (replaying would write, and the kernel refuses a
replay on a read-only device), and ``commit=5``, since a journal-less mount
refuses a commit interval the superblock's own mount options may set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import guard
from ..errors import UsageError
from .layout import ESP_TYPE
from .mounting import mounted
from .table import Partition, read_table

EXT4_INCOMPAT_RECOVER = 0x4  # the journal holds transactions not yet replayed
EXT4_INCOMPAT_EXTENTS = 0x40
EXT4_INCOMPAT_64BIT = 0x80
EXT4_INCOMPAT_FLEX_BG = 0x200


def _ext_incompat(image: Path, part: Partition) -> int | None:
    """The ext2/3/4 superblock's incompatible-feature flags, or None when there is no such superblock."""
    with open(image, "rb") as handle:
        handle.seek(part.start_bytes + 1024)
        block = handle.read(128)
    if len(block) < 128 or block[56:58] != b"\x53\xef" or part.size_bytes < 2048:
        return None
    return int.from_bytes(block[96:100], "little")


def filesystem_kind(image: Path, part: Partition) -> str:
    """What a partition holds, by its superblock's magic: ext4, ext2/3, btrfs, xfs, swap, vfat, or unknown."""
    def read(offset: int, size: int) -> bytes:
        return os.pread(fd, size, part.start_bytes + offset) if offset + size <= part.size_bytes else b""

    fd = os.open(image, os.O_RDONLY | os.O_CLOEXEC)
    try:
        incompat = _ext_incompat(image, part)
        if incompat is not None:
            modern = EXT4_INCOMPAT_EXTENTS | EXT4_INCOMPAT_64BIT | EXT4_INCOMPAT_FLEX_BG
            return "ext4" if incompat & modern else "ext2/3"
        if read(65536 + 64, 8) == b"_BHRfS_M":
            return "btrfs"
        if read(0, 4) == b"XFSB":
            return "xfs"
        if read(4096 - 10, 10) == b"SWAPSPACE2":
            return "swap"
        boot = read(0, 512)
        if len(boot) == 512 and boot[510:512] == b"\x55\xaa" and (b"FAT" in boot[54:62] or b"FAT" in boot[82:90]):
            return "vfat"
        return "unknown"
    finally:
        os.close(fd)


def workload_root(image: str | os.PathLike[str]) -> Partition:
    """The ext4 root of a workspace disk image that may serve as a workload, or one line on what was found."""
    real = guard.check_image(image)
    table = read_table(real)
    if table.label != "gpt":
        found = "an MBR (dos) partition table" if table.label == "dos" else "no partition table"
        raise UsageError(f"'{image}' has {found}: --disk takes a GPT disk with an ext4 root (and an optional ESP)")
    esps = [p for p in table.partitions if p.type_guid == ESP_TYPE]
    others = [p for p in table.partitions if p.type_guid != ESP_TYPE]
    kinds = [filesystem_kind(real, p) for p in others]
    if len(esps) > 1 or len(others) != 1 or kinds != ["ext4"]:
        found = ", ".join([f"{len(esps)} ESP{'s' if len(esps) != 1 else ''}"] + [
            f"partition {p.number}: {kind}" for p, kind in zip(others, kinds)]) if table.partitions else "none"
        raise UsageError(f"'{image}' is GPT with {found}; --disk takes one ext4 root partition and an optional "
                         "ESP, nothing else")
    return others[0]


@contextmanager
def mounted_workload(image: str | os.PathLike[str]) -> Iterator[Path]:
    """The disk's root filesystem, mounted read-only (journal not replayed), for reading only."""
    real = guard.check_image(image)
    root = workload_root(real)
    dirty = bool((_ext_incompat(real, root) or 0) & EXT4_INCOMPAT_RECOVER)
    with mounted(real, root.role, readonly=True, options=("noload", "commit=5") if dirty else ()) as point:
        yield point
