"""Boot wipes: damage what the firmware runs first, so the disk no longer starts.

Two variants, one per kind of firmware:

- ``uefi`` (:func:`wipe_esp_loader`): zeros over the boot loader file on the
  ESP (``EFI/BOOT/BOOTX64.EFI``), cluster by cluster, as a bad update or a
  stray write leaves it. The FAT still lists the file, so the firmware finds
  it, tries to load it, and fails; ``disk check`` still sees a readable ESP.
- ``bios`` (:func:`wipe_boot_code`): bytes 0-439 of sector 0, where a BIOS boot
  loader's first stage lives. A UEFI firmware never runs them, so on a UEFI
  disk this damage changes nothing a boot would notice; it stays for the
  BIOS-era picture and the byte check.

A wipe writes zeros, which is what the real events leave (a tool that
"cleans" the MBR, a stray ``dd``). Random garbage is not offered: it cannot be
told from someone else's boot code. In the ``bios`` variant the partition
entries (446-509) and the signature are left alone, so only the boot code is
lost. If the area already held zeros, the wipe changes nothing, and the record
says so. The record's ``details["variant"]`` says which variant struck.

A disk with no ESP (a raid1 half is btrfs from byte 0, with no partition table) has no boot
loader file to wipe: there the ``uefi`` variant wipes the one boot area such a disk has,
sector 0's boot code, and its record says ``variant: bios`` and ``no_esp: true``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..disk.bootcode import BOOT_CODE_SIZE, BOOT_LOADER_PATH
from ..disk.fatfile import file_ranges
from ..disk.table import read_table
from ..errors import UsageError
from . import raw
from .records import ByteRange, FaultRecord, timestamp

VARIANTS = ("uefi", "bios")


def wipe_boot(image: Path, *, variant: str = "uefi", seed: int = 0, at: datetime | None = None) -> FaultRecord:
    """The boot wipe of ``variant``: ``uefi`` (the ESP's boot loader) or ``bios`` (the MBR boot code)."""
    if variant not in VARIANTS:
        raise UsageError(f"unknown boot-wipe variant '{variant}': choose one of {', '.join(VARIANTS)}")
    if variant == "uefi" and _has_esp(raw.require_detached(image)):
        return wipe_esp_loader(image, seed=seed, at=at)
    record = wipe_boot_code(image, seed=seed, at=at)
    if variant == "uefi":
        record.details["no_esp"] = True
    return record


def _has_esp(image: Path) -> bool:
    return any(part.role == "esp" for part in read_table(image).partitions)


def wipe_boot_code(image: Path, *, seed: int = 0, at: datetime | None = None) -> FaultRecord:
    real = raw.require_detached(image)
    changed = raw.overwrite(real, 0, bytes(BOOT_CODE_SIZE))
    return FaultRecord(
        kind="boot-wipe", seed=seed, time=timestamp(at), target=str(real),
        ranges=[ByteRange(0, BOOT_CODE_SIZE, str(real), changed)],
        details={"variant": "bios", "changed": changed > 0, "changed_bytes": changed},
    )


def wipe_esp_loader(image: Path, *, seed: int = 0, at: datetime | None = None) -> FaultRecord:
    """Zero every cluster of the ESP's boot loader (the firmware's fallback path)."""
    real = raw.require_detached(image)
    esp = read_table(real).by_role("esp")
    ranges = []
    for offset, length in file_ranges(real, esp, BOOT_LOADER_PATH):
        ranges.append(ByteRange(offset, length, str(real), raw.overwrite(real, offset, bytes(length))))
    changed = sum(r.changed_bytes or 0 for r in ranges)
    return FaultRecord(
        kind="boot-wipe", seed=seed, time=timestamp(at), target=str(real), files=[BOOT_LOADER_PATH], ranges=ranges,
        details={"variant": "uefi", "changed": changed > 0, "changed_bytes": changed, "file": BOOT_LOADER_PATH},
    )
