"""Putting the cached Debian root on a ``system`` disk and making it bootable.

The steps an installer takes, minus the downloads: unpack the root into the
mounted ext4 partition, write an fstab that finds it by UUID, add the users
whose homes the workload made, and put the boot loader on the ESP.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from .. import guard
from ..errors import UsageError
from . import bootloader, oscache, osrecipe
from .table import read_table

_EXT4_MAGIC = 0xEF53


def install(image: Path, root: Path, cached: oscache.CachedRoot, users: Sequence[tuple[str, int]]) -> str:
    """Install onto ``image``, whose root partition is mounted at ``root``; return the root filesystem's UUID."""
    real = guard.check_image(image)
    table = read_table(real)
    if not any(p.role == "esp" for p in table.partitions):
        raise UsageError(f"'{real.name}' has no EFI System Partition: an OS goes on a 'system' disk "
                         "('workbench disk create pc.img --layout system --size 1536M')")
    root_uuid = filesystem_uuid(real, table.by_role("root").start_bytes)
    oscache.extract(cached, root)
    (root / "etc" / "fstab").write_text(osrecipe.fstab(root_uuid))
    for name, uid in users:
        oscache.add_user(root, name, uid)
    bootloader.install(real, table.by_role("esp"), root_uuid)
    return root_uuid


def filesystem_uuid(image: Path, start_bytes: int) -> str:
    """The UUID in an ext4 superblock (1024 bytes into the partition; magic at 56, UUID at 104)."""
    fd = os.open(image, os.O_RDONLY | os.O_CLOEXEC)
    try:
        superblock = os.pread(fd, 1024, start_bytes + 1024)
    finally:
        os.close(fd)
    return parse_uuid(superblock)


def parse_uuid(superblock: bytes) -> str:
    """The filesystem UUID from the bytes of an ext4 superblock (pure)."""
    if len(superblock) < 120 or int.from_bytes(superblock[56:58], "little") != _EXT4_MAGIC:
        raise UsageError("the root partition holds no ext4 filesystem: create the disk again")
    return str(uuid.UUID(bytes=superblock[104:120]))
