"""Where a file's bytes lie in a FAT filesystem (the ESP), found from user space.

mtools' ``mshowfat`` lists the clusters a file occupies; the boot sector says
where cluster 2 starts and how big a cluster is. Together they give byte
ranges in the disk image, so a fault can damage exactly one file of the ESP
(its boot loader) with raw writes, as a bad update or a stray write would.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .. import guard, proc
from ..errors import DamageFound
from .table import Partition

_ENV = {"MTOOLS_SKIP_CHECK": "1"}
_RUN = re.compile(r"<(\d+)(?:-(\d+))?>")


@dataclass(frozen=True)
class FatGeometry:
    cluster_bytes: int
    data_offset: int  # bytes from the filesystem's start to cluster 2

    def cluster_offset(self, cluster: int) -> int:
        return self.data_offset + (cluster - 2) * self.cluster_bytes


def parse_boot_sector(sector: bytes) -> FatGeometry:
    """FAT12/16/32 geometry from the first sector of the filesystem (pure)."""
    if len(sector) < 512 or sector[510:512] != b"\x55\xaa":
        raise DamageFound("the ESP has no FAT boot sector (signature 55 AA missing)")
    bytes_per_sector = int.from_bytes(sector[11:13], "little")
    sectors_per_cluster = sector[13]
    reserved = int.from_bytes(sector[14:16], "little")
    fats = sector[16]
    root_entries = int.from_bytes(sector[17:19], "little")
    fat_sectors = int.from_bytes(sector[22:24], "little") or int.from_bytes(sector[36:40], "little")
    if not (bytes_per_sector and sectors_per_cluster and fats and fat_sectors):
        raise DamageFound("the ESP's FAT boot sector is damaged (zero geometry)")
    root_sectors = -(-root_entries * 32 // bytes_per_sector)
    first_data_sector = reserved + fats * fat_sectors + root_sectors
    return FatGeometry(sectors_per_cluster * bytes_per_sector, first_data_sector * bytes_per_sector)


def parse_clusters(listing: str) -> list[tuple[int, int]]:
    """``(first, last)`` cluster runs from ``mshowfat`` output such as ``::/F <135-1374> <1380>`` (pure)."""
    return [(int(first), int(last or first)) for first, last in _RUN.findall(listing)]


def file_ranges(image: Path, esp: Partition, path: str) -> list[tuple[int, int]]:
    """``(offset, length)`` in the disk image of every cluster run of ``path`` on the ESP, in file order."""
    with guard.held(image, image_only=True) as disk:
        geometry = parse_boot_sector(os.pread(disk.fd, 512, esp.start_bytes))
        listing = proc.text(["mshowfat", "-i", f"{disk.path}@@{esp.start_bytes}", f"::/{path}"], env=_ENV,
                            what=f"finding {path} on the ESP", pass_fds=(disk.fd,))
    return [(esp.start_bytes + geometry.cluster_offset(first), (last - first + 1) * geometry.cluster_bytes)
            for first, last in parse_clusters(listing)]
