"""Recognisable stand-ins for the boot code and the boot loader (pure).

A real disk carries boot code in bytes 0-439 of sector 0 and a boot loader
in the ESP. The workbench's disks carry fixed, recognisable stand-ins, so
"was the boot area captured and restored?" is a byte comparison.
"""

from __future__ import annotations

import hashlib

BOOT_CODE_SIZE = 440
BOOT_LOADER_PATH = "EFI/BOOT/BOOTX64.EFI"
_MAGIC = b"WORKBENCH-BOOT-CODE-STAND-IN\x00"


def boot_code() -> bytes:
    """440 bytes: a magic string followed by a SHAKE-256 stream of it."""
    return _MAGIC + hashlib.shake_256(_MAGIC).digest(BOOT_CODE_SIZE - len(_MAGIC))


def boot_loader() -> bytes:
    """A 64 KiB stand-in for an EFI boot loader, starting with the PE 'MZ' signature."""
    header = b"MZ" + b"WORKBENCH-BOOT-LOADER-STAND-IN\x00"
    return header + hashlib.shake_256(header).digest(64 * 1024 - len(header))


def boot_code_state(area: bytes) -> str:
    """'intact' (our stand-in), 'foreign' (someone else's non-zero code), 'blank' or 'damaged'."""
    if area == boot_code():
        return "intact"
    if not any(area):
        return "blank"
    if area.startswith(_MAGIC[:8]) or _similar(area, boot_code()):
        return "damaged"
    return "foreign"


def _similar(a: bytes, b: bytes) -> bool:
    same = sum(x == y for x, y in zip(a, b))
    return same > len(b) // 2
