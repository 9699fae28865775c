"""The space columns of a row, measured when the fault strikes: what the target takes, against what it covers.

The data a strategy covers is measured twice (``results/schema.py`` holds the contracts):

- ``protected_logical_bytes``: the files' sizes as ``ls`` shows them, every name, holes as data;
- ``protected_bytes``: what is really stored, the way the strategy's own scope counts it:

  - ``folders`` (backup, the mirrors): the folders' allocated bytes as ``du`` counts them
    (files, folders and symlinks; holes excluded; a hard-linked inode once);
  - ``whole-disk`` (image, clone): each partition's used bytes as its filesystem counts them
    (ext4's used blocks, the ESP's used clusters) plus the partition table and boot area;
  - ``filesystem`` (raid1): one copy of what btrfs says it uses (data, metadata, system);
  - ``nothing`` (``none``): 0.

So ``space_amplification = footprint / protected_bytes`` below 1 means compression
or deduplication, and about 2 means every byte is kept twice.
"""

from __future__ import annotations

import math

from ..errors import WorkbenchError
from ..truth.manifest import Manifest
from .machine import Machine
from .protection import Protection


def measure_space(protection: Protection, machine: Machine, manifest: Manifest) -> dict[str, int | float]:
    """``points_at_fault`` and the space columns, with the machine unmounted and ``manifest`` its whole root tree."""
    try:
        points = len(protection.points())
        footprint, reserved = protection.footprint(), protection.reserved_bytes()
    except WorkbenchError:
        points, footprint, reserved = 0, 0, 0
    try:
        usable = protection.usable_bytes()
    except WorkbenchError:
        usable = math.nan
    return {"points_at_fault": points, **space_columns(footprint, reserved, usable,
                                                       protected_bytes(protection, machine, manifest),
                                                       protected_logical_bytes(protection, manifest))}


def protected_bytes(protection: Protection, machine: Machine, manifest: Manifest) -> int:
    """What is really stored of the data in the strategy's scope (see the module's docstring)."""
    if protection.scope == "nothing":
        return 0
    if protection.scope == "folders":
        return manifest.allocated_bytes(protection.folders)
    return machine.stored_bytes()


def protected_logical_bytes(protection: Protection, manifest: Manifest) -> int:
    """The scope's files as ``ls`` sizes them: under the folders, or the whole root tree for a disk or filesystem."""
    if protection.scope == "nothing":
        return 0
    return manifest.logical_bytes(protection.folders if protection.scope == "folders" else ())


def space_columns(footprint_bytes: int, reserved_bytes: int, usable_bytes: float, protected: int,
                  protected_logical: int) -> dict[str, int | float]:
    return {
        "footprint_bytes": footprint_bytes,
        "reserved_bytes": reserved_bytes,
        "usable_bytes": usable_bytes if math.isnan(usable_bytes) else int(usable_bytes),
        "protected_bytes": protected,
        "protected_logical_bytes": protected_logical,
        "space_amplification": footprint_bytes / protected if protected else math.nan,
    }
