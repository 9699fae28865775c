"""Disk layouts and their partition plans (pure: no I/O).

``system`` is a GPT disk with an EFI System Partition (FAT32) and an ext4
root filling the rest, like an installed PC. ``data`` is a GPT disk with one
ext4 partition, used as an external or backup drive.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError
from ..units import format_bytes

MiB = 1 << 20
SECTOR = 512
ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
LINUX_TYPE = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
#: 34 MiB keeps FAT32 above its 65,525-cluster minimum with 512-byte clusters.
SMALL_ESP = 34 * MiB
LARGE_ESP = 64 * MiB
#: Below this, the ESP is the small one; real installers use 100-512 MiB, tests need tiny disks.
LARGE_DISK = 1024 * MiB
MIN_ROOT = 24 * MiB
#: 1 MiB alignment at the start, and the backup GPT (33 sectors) at the end.
HEAD = 1 * MiB
TAIL = 1 * MiB


@dataclass(frozen=True)
class PlannedPartition:
    name: str  # the GPT partition name; also the role the workbench looks for
    type_guid: str
    size_bytes: int | None  # None: the rest of the disk
    filesystem: str  # "vfat" or "ext4"


@dataclass(frozen=True)
class DiskPlan:
    layout: str
    size_bytes: int
    partitions: tuple[PlannedPartition, ...]

    def sfdisk_script(self) -> str:
        lines = ["label: gpt"]
        for part in self.partitions:
            size = "" if part.size_bytes is None else f"size={part.size_bytes // SECTOR}, "
            lines.append(f'{size}type={part.type_guid}, name="{part.name}"')
        return "\n".join(lines) + "\n"


LAYOUTS = {
    "system": "GPT + EFI System Partition (FAT32 with a boot-loader stand-in) + ext4 root",
    "data": "GPT + one ext4 partition (an external or backup drive)",
}


def minimum_size(layout: str) -> int:
    _check_layout(layout)
    if layout == "system":
        return HEAD + SMALL_ESP + MIN_ROOT + TAIL
    return HEAD + MIN_ROOT + TAIL


def plan(layout: str, size_bytes: int) -> DiskPlan:
    """Plan the partitions of a new disk, refusing sizes too small for the layout."""
    minimum = minimum_size(layout)
    if size_bytes < minimum:
        raise UsageError(
            f"a '{layout}' disk needs at least {format_bytes(minimum)} ({minimum // MiB}M); "
            f"{format_bytes(size_bytes)} is too small: pass --size {-(-minimum // MiB)}M or more"
        )
    if size_bytes % SECTOR:
        raise UsageError(f"the disk size must be a multiple of {SECTOR} bytes, not {size_bytes}")
    parts: tuple[PlannedPartition, ...]
    if layout == "system":
        esp = LARGE_ESP if size_bytes >= LARGE_DISK else SMALL_ESP
        parts = (
            PlannedPartition("ESP", ESP_TYPE, esp, "vfat"),
            PlannedPartition("root", LINUX_TYPE, None, "ext4"),
        )
    else:
        parts = (PlannedPartition("data", LINUX_TYPE, None, "ext4"),)
    return DiskPlan(layout, size_bytes, parts)


def _check_layout(layout: str) -> None:
    if layout not in LAYOUTS:
        known = ", ".join(sorted(LAYOUTS))
        raise UsageError(f"unknown layout '{layout}': choose one of {known}")
