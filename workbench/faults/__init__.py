"""Fault injectors: real damage, done the way it happens, each returning a record of exactly what it touched.

Disk-level faults write raw bytes into the image file (through
``workbench.guard``) while it is detached; file-level faults (deletion,
ransomware) work through a mounted filesystem, as users and malware do.
Every injector is deterministic for a seed and a disk state, and returns a
:class:`FaultRecord` for the scorer and the tests (never for recovery).
"""

from .bitrot import inject_bitrot, inject_bitrot_at
from .boot import wipe_boot_code
from .crash import crash_during
from .files import delete_files, delete_folder, delete_on_disk
from .locate import file_extents, locate_files
from .loss import lose_disk
from .ransomware import choose_victims, decrypt, encrypt, encrypt_files, encrypt_reachable_targets, split_days
from .records import BitFlip, ByteRange, Extent, FaultRecord
from .registry import KINDS, inject
from .sectors import bad_sectors
from .superblock import damage_superblock
from .table import wipe_table
from .target import corrupt_target

__all__ = [
    "KINDS", "BitFlip", "ByteRange", "Extent", "FaultRecord", "bad_sectors", "choose_victims",
    "corrupt_target", "crash_during", "damage_superblock", "decrypt", "delete_files", "delete_folder",
    "delete_on_disk", "encrypt", "encrypt_files", "encrypt_reachable_targets", "file_extents", "inject",
    "inject_bitrot", "inject_bitrot_at", "locate_files", "lose_disk", "split_days", "wipe_boot_code", "wipe_table",
]
