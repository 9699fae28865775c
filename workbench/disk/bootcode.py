"""Recognisable stand-ins for the boot code and the boot loader (pure).

A real disk carries boot code in bytes 0-439 of sector 0 and a boot loader
in the ESP. The workbench's disks carry recognisable stand-ins, so "was the
boot area captured and restored?" is a byte comparison.

Like a real boot loader install, the stand-ins are specific to one disk: the
boot code embeds a per-disk id, and the ESP holds a ``grub.cfg`` naming the
root filesystem's UUID. A freshly made disk therefore does not pass for the
one it replaces.
"""

from __future__ import annotations

import hashlib

BOOT_CODE_SIZE = 440
BOOT_LOADER_PATH = "EFI/BOOT/BOOTX64.EFI"
BOOT_CONFIG_PATH = "EFI/BOOT/grub.cfg"
_MAGIC = b"WORKBENCH-BOOT-CODE-STAND-IN\x00"
_ID_SIZE = 16


def boot_code(disk_id: bytes) -> bytes:
    """440 bytes: magic, the disk's 16-byte id, then a SHAKE-256 stream of both."""
    if len(disk_id) != _ID_SIZE:
        raise AssertionError("the disk id is 16 bytes")
    head = _MAGIC + disk_id
    return head + hashlib.shake_256(head).digest(BOOT_CODE_SIZE - len(head))


def boot_loader() -> bytes:
    """A 64 KiB stand-in for an EFI boot loader, starting with the PE 'MZ' signature."""
    header = b"MZ" + b"WORKBENCH-BOOT-LOADER-STAND-IN\x00"
    return header + hashlib.shake_256(header).digest(64 * 1024 - len(header))


def boot_config(root_uuid: str) -> bytes:
    """The boot loader's configuration: it finds the root filesystem by UUID, as GRUB does."""
    return (f"search --no-floppy --fs-uuid --set=root {root_uuid}\n"
            f"linux /boot/vmlinuz root=UUID={root_uuid} ro\n").encode()


def boot_code_state(area: bytes) -> str:
    """'intact' (a whole stand-in), 'foreign' (someone else's non-zero code), 'blank' or 'damaged'."""
    if not any(area):
        return "blank"
    if area.startswith(_MAGIC):
        disk_id = area[len(_MAGIC):len(_MAGIC) + _ID_SIZE]
        return "intact" if area[:BOOT_CODE_SIZE] == boot_code(disk_id) else "damaged"
    if _similar(area[: len(_MAGIC)], _MAGIC):
        return "damaged"
    return "foreign"


def _similar(a: bytes, b: bytes) -> bool:
    return sum(x == y for x, y in zip(a, b)) > len(b) // 2
