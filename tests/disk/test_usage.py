"""What a disk's filesystems say they hold: parsed without root, and checked against df and mtools with it."""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import pytest

from workbench.disk import btrfs, usage
from workbench.disk.create import root_usage
from workbench.disk.mounting import mounted
from workbench.disk.table import read_table

DUMPE2FS = """Filesystem volume name:   root
Block count:              110592
Reserved block count:     5529
Overhead clusters:        12589
Free blocks:              97989
Block size:               1024
"""

#: btrfs filesystem usage -b of a raid1 pair holding 20 MB (btrfs-progs 6.2).
USAGE = """Overall:
    Device size:\t\t         301989888
    Used:\t\t\t          40361984
    Data ratio:\t\t\t              2.00
    Metadata ratio:\t\t              2.00

Data,RAID1: Size:67108864, Used:20000768 (29.80%)
   /dev/loop2\t  67108864

Metadata,RAID1: Size:33554432, Used:163840 (0.49%)
   /dev/loop2\t  33554432

System,RAID1: Size:8388608, Used:16384 (0.20%)
   /dev/loop2\t   8388608
"""


def test_ext4_counts_its_used_blocks_without_its_own_overhead() -> None:
    found = usage.parse_dumpe2fs(DUMPE2FS)
    assert found.capacity_bytes == (110592 - 12589) * 1024
    assert found.used_bytes == (110592 - 12589 - 97989) * 1024 and found.block_size == 1024
    older = usage.parse_dumpe2fs(DUMPE2FS.replace("Overhead clusters:        12589\n", ""))
    assert older.used_bytes == (110592 - 97989) * 1024, "without the record, metadata counts as used"


def test_btrfs_stores_one_copy_of_data_metadata_and_system() -> None:
    capacity = btrfs.parse_usage(USAGE)
    assert capacity.stored_bytes == 20000768 + 163840 + 16384 == capacity.used_bytes // 2
    assert capacity.usable_bytes == 301989888 // 2


def _fat32(used: list[int], clusters: int = 70000) -> tuple[bytes, bytes]:
    """A FAT32 boot sector (512-byte sectors, one per cluster, two tables) and a table with ``used`` taken."""
    fat_sectors = -(-(clusters + 2) * 4 // 512)
    boot = bytearray(512)
    struct.pack_into("<HBHBHHBH", boot, 11, 512, 1, 32, 2, 0, 0, 0xF8, 0)
    struct.pack_into("<II", boot, 32, 32 + 2 * fat_sectors + clusters, fat_sectors)
    boot[510:512] = b"\x55\xaa"
    table = bytearray(fat_sectors * 512)
    struct.pack_into("<II", table, 0, 0x0FFFFFF8, 0x0FFFFFFF)
    for cluster in used:
        struct.pack_into("<I", table, cluster * 4, 0x0FFFFFFF)
    return bytes(boot), bytes(table)


def test_fat_counts_the_clusters_its_table_marks_used() -> None:
    boot, table = _fat32([2, 3, 9, 70001])
    layout = usage.parse_fat_boot_sector(boot)
    assert (layout.bits, layout.clusters, layout.cluster_bytes) == (32, 70000, 512)
    assert usage.used_clusters(table, layout) == 4, "the two reserved entries are not clusters"


@pytest.mark.root
def test_a_disk_s_used_bytes_agree_with_df_and_mtools(system_disk: Path) -> None:
    with mounted(system_disk) as root:
        (root / "data.bin").write_bytes(os.urandom(5 << 20))
        stats = os.statvfs(root)
    table = read_table(system_disk)
    found = usage.ext4_usage(system_disk, table.by_role("root"))
    assert found.capacity_bytes == stats.f_blocks * stats.f_frsize
    assert found.used_bytes == (stats.f_blocks - stats.f_bfree) * stats.f_frsize
    esp = table.by_role("esp")
    info = subprocess.run(["minfo", "-i", f"{system_disk}@@{esp.start_bytes}", "::"], capture_output=True,
                          text=True, env={**os.environ, "MTOOLS_SKIP_CHECK": "1"}, check=True).stdout
    free = int(info.split("free clusters=")[1].split()[0])
    layout = usage.parse_fat_boot_sector(system_disk.read_bytes()[esp.start_bytes:esp.start_bytes + 512])
    assert usage.fat_used_bytes(system_disk, esp) == (layout.clusters - free) * layout.cluster_bytes
    gpt = 34 * 512 + 33 * 512  # MBR, header and 128 entries; the backup entries and header
    assert usage.disk_used_bytes(system_disk) == gpt + found.used_bytes + usage.fat_used_bytes(system_disk, esp)
    assert root_usage(64 << 20).capacity_bytes == found.capacity_bytes, "the same disk, made again"
