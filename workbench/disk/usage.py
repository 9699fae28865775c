"""What a disk's filesystems say they hold and can hold, read from the image file (no loop device, no mount).

- **ext4**, from its superblock (``dumpe2fs -h``): the capacity is the block count
  less the filesystem's own overhead (inode tables, bitmaps, group descriptors,
  the journal: mke2fs records it as ``Overhead clusters``), and the used bytes are
  the capacity less the free blocks. These are ``df``'s Size and Used.
- **FAT** (the ESP), from its own table: the clusters marked in use × the cluster size.
- **The partition table and boot area**: the protective MBR (which holds the boot
  code), the GPT header and its entries, and the backup entries and header at the end.

``disk_used_bytes`` adds these up: the bytes a whole-disk copy must keep for the disk
to be the same disk, as its filesystems count them.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from .. import guard, proc
from ..errors import OperationFailed
from .layout import ESP_TYPE, SECTOR
from .table import Partition, PartitionTable, read_table

#: GPT's usual geometry, used when the header cannot be read: 128 entries of 128 bytes.
_GPT_ENTRIES, _GPT_ENTRY_SIZE = 128, 128


@dataclass(frozen=True)
class Usage:
    capacity_bytes: int  # what files can fill (df's Size)
    used_bytes: int  # of that, in use (df's Used)
    block_size: int


def ext4_usage(image: Path, part: Partition | None = None) -> Usage:
    """An ext4 filesystem's capacity and used bytes, from its superblock (a lone filesystem when ``part`` is None).

    Read it unmounted: a mounted ext4 writes its free counts back only at a commit.
    Without ``Overhead clusters`` (a filesystem made by an older mke2fs) its metadata
    counts as used and as capacity.
    """
    offset = part.start_bytes if part is not None else 0
    with guard.held(image) as disk:
        done = proc.run(["dumpe2fs", "-h", f"{disk.path}?offset={offset}"], check=False, pass_fds=(disk.fd,))
    return parse_dumpe2fs(done.stdout.decode(errors="replace"))


def parse_dumpe2fs(text: str) -> Usage:
    """``dumpe2fs -h`` output -> Usage (pure)."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    try:
        blocks, free, size = (int(fields[k]) for k in ("Block count", "Free blocks", "Block size"))
    except (KeyError, ValueError):
        raise OperationFailed("dumpe2fs found no ext4 superblock to read the used blocks from") from None
    overhead = int(fields.get("Overhead clusters", fields.get("Overhead blocks", "0")))
    capacity = blocks - overhead
    return Usage(capacity_bytes=capacity * size, used_bytes=(capacity - free) * size, block_size=size)


def fat_used_bytes(image: Path, part: Partition) -> int:
    """The bytes in the clusters a FAT filesystem's table marks in use (FAT12, 16 or 32)."""
    fd = guard.open_checked(image)
    try:
        boot = os.pread(fd, 512, part.start_bytes)
        layout = parse_fat_boot_sector(boot)
        table = os.pread(fd, layout.fat_bytes, part.start_bytes + layout.fat_offset)
    finally:
        os.close(fd)
    return used_clusters(table, layout) * layout.cluster_bytes


@dataclass(frozen=True)
class FatLayout:
    bits: int  # 12, 16 or 32
    clusters: int  # data clusters (numbered from 2)
    cluster_bytes: int
    fat_offset: int  # of the first table, from the partition's start
    fat_bytes: int  # one table


def parse_fat_boot_sector(boot: bytes) -> FatLayout:
    """The geometry a FAT boot sector describes (pure); the type follows from the cluster count, as the spec says."""
    if len(boot) < 512 or boot[510:512] != b"\x55\xaa":
        raise OperationFailed("the ESP has no FAT boot sector to read its used clusters from")
    fields = struct.unpack_from("<HBHBHHBH", boot, 11)
    sector, per_cluster, reserved, fats, root_entries, total16, _media, fat16 = fields
    total32, fat32 = struct.unpack_from("<II", boot, 32)
    fat_sectors = fat16 or fat32
    total = total16 or total32
    root_sectors = -(-root_entries * 32 // sector)
    if not (sector and per_cluster and fat_sectors):
        raise OperationFailed("the ESP's boot sector describes no FAT")
    clusters = (total - reserved - fats * fat_sectors - root_sectors) // per_cluster
    bits = 12 if clusters < 4085 else 16 if clusters < 65525 else 32
    return FatLayout(bits=bits, clusters=clusters, cluster_bytes=sector * per_cluster, fat_offset=reserved * sector,
                     fat_bytes=fat_sectors * sector)


def used_clusters(table: bytes, layout: FatLayout) -> int:
    """Clusters 2 .. clusters+1 whose entry is not free (zero) in a FAT (pure)."""
    last = layout.clusters + 2
    if layout.bits == 32:
        return sum(1 for (value,) in struct.iter_unpack("<I", table[8: last * 4]) if value & 0x0FFFFFFF)
    if layout.bits == 16:
        return sum(1 for (value,) in struct.iter_unpack("<H", table[4: last * 2]) if value)
    used = 0
    for cluster in range(2, last):
        pair = struct.unpack_from("<H", table, cluster * 3 // 2)[0]
        used += bool(pair >> 4 if cluster & 1 else pair & 0x0FFF)
    return used


def table_bytes(image: Path, table: PartitionTable) -> int:
    """The partition table and boot area: MBR (with the boot code), GPT header and entries, and their backup."""
    if table.label != "gpt":
        return SECTOR if table.label else 0  # an MBR is one sector, boot code included
    fd = guard.open_checked(image)
    try:
        header = os.pread(fd, 92, SECTOR)
    finally:
        os.close(fd)
    entries, entry_size = _GPT_ENTRIES, _GPT_ENTRY_SIZE
    if header[:8] == b"EFI PART":
        entries, entry_size = struct.unpack_from("<II", header, 80)
    entry_sectors = -(-entries * entry_size // SECTOR)
    return (1 + 1 + entry_sectors + entry_sectors + 1) * SECTOR  # MBR, header, entries; backup entries, header


def disk_used_bytes(image: Path) -> int:
    """What a whole disk holds, as its filesystems count it: each partition's used bytes, plus the table.

    ext4 partitions count their used blocks, FAT ones their used clusters; any other
    partition counts whole, since nothing here can say which of its bytes are free.
    """
    table = read_table(image)
    total = table_bytes(image, table)
    for part in table.partitions:
        if part.type_guid == ESP_TYPE:
            total += fat_used_bytes(image, part)
            continue
        try:
            total += ext4_usage(image, part).used_bytes
        except OperationFailed:
            total += part.size_bytes
    return total
