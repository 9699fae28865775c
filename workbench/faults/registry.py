"""One entry point for every fault kind by its scenario name (what the CLI and scenario files call)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from .. import workspace
from ..disk.mounting import mounted
from ..errors import UsageError
from .bitrot import inject_bitrot
from .boot import wipe_boot_code
from .crash import crash_during
from .files import delete_on_disk
from .loss import lose_disk
from .ransomware import encrypt
from .records import FaultRecord
from .sectors import bad_sectors
from .superblock import damage_superblock
from .table import wipe_table
from .target import corrupt_target

#: Fault kinds, named as the scenarios are.
KINDS = ("deletion", "bitrot", "bad-sectors", "ransomware", "partition-wipe", "boot-wipe", "superblock",
         "disk-loss", "target-corruption", "crash-during-protect")


def inject(kind: str, *, disk: Path | None = None, target: Path | None = None, seed: int = 0,
           count: int | None = None, folders: Sequence[str] = ("home",), whole_folder: bool = False,
           mode: str = "uniform", which: str = "both", fill: str = "zero", fraction: float = 0.5,
           where: str = "files", command: Sequence[str] = (), after_s: float | None = None,
           when_path: Path | None = None, min_bytes: int = 0, at: datetime | None = None) -> FaultRecord:
    """Inject one fault of ``kind``; options a kind does not use are ignored."""
    if kind not in KINDS:
        raise UsageError(f"unknown fault kind '{kind}': choose one of {', '.join(KINDS)}")
    if kind == "target-corruption":
        if target is None:
            raise UsageError("target corruption needs --target: a backup repository folder, an image or a clone")
        return corrupt_target(target, seed=seed, count=count or 8, mode=mode, at=at)
    if kind == "crash-during-protect":
        if not command:
            raise UsageError("a crash needs the command to run and kill: add --run 'workbench ... protect ...'")
        return crash_during(command, after_s=after_s, when_path=when_path, min_bytes=min_bytes, seed=seed, at=at)
    if disk is None:
        raise UsageError(f"the '{kind}' fault needs --disk: the disk image to damage")
    image = workspace.resolve(disk, must_exist=True)
    if kind == "deletion":
        if whole_folder:
            return delete_on_disk(image, folder=True, seed=seed, folders=folders, at=at)
        return delete_on_disk(image, seed=seed, count=count or 1, folders=folders, at=at)
    if kind == "bitrot":
        return inject_bitrot(image, seed=seed, count=count or 8, mode=mode, folders=folders, at=at)
    if kind == "bad-sectors":
        return bad_sectors(image, seed=seed, sectors=count or 8, where=where, folders=folders, at=at)
    if kind == "ransomware":
        with mounted(image) as point:
            record = encrypt(point, seed=seed, fraction=fraction, folders=folders, at=at)
        record.target = str(image)
        return record
    if kind == "partition-wipe":
        return wipe_table(image, which=which, fill=fill, seed=seed, at=at)
    if kind == "boot-wipe":
        return wipe_boot_code(image, seed=seed, at=at)
    if kind == "superblock":
        return damage_superblock(image, seed=seed, at=at)
    return lose_disk(image, seed=seed, at=at)
