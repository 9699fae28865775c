"""Striking the machine with a scenario's faults, at the right mount state.

File-level faults (deletion, ransomware) go through the mounted filesystem,
as they do in life; raw faults (bit rot, bad sectors, wipes) go under it into
the unmounted image file. Every injector returns its record, which is kept
for the scorer and never shown to recovery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..faults import boot, files, loss, ransomware, sectors, superblock, table, target
from ..faults.records import FaultRecord, rng
from .machine import Machine
from .scenario import FaultSpec

#: Faults that strike the protection, not the user's data: they do not end the workload.
PROTECTION_FAULTS = ("target-corruption", "crash-during-protect")


@dataclass
class RansomCampaign:
    """Slow ransomware: the victims are chosen once, then struck a subset per day."""

    days: list[list[str]] = field(default_factory=list)


def strike(spec: FaultSpec, machine: Machine, *, seed: int, at: datetime, folders: tuple[str, ...],
           reachable: list, day_index: int = 0, campaign: RansomCampaign | None = None,
           settle: Callable[[], None] = lambda: None) -> list[FaultRecord]:
    """Inject one fault (or one day of a slow one); return the records of what it damaged."""
    options = spec.options
    kind = spec.kind
    if kind == "deletion":
        root = machine.mount()
        if options.get("whole_folder"):
            return [files.delete_folder(root, seed=seed, folders=folders, at=at)]
        return [files.delete_files(root, seed=seed, count=int(options.get("count", 1)), folders=folders, at=at)]
    if kind == "ransomware":
        return _ransom(spec, machine, seed=seed, at=at, folders=folders, reachable=reachable,
                       day_index=day_index, campaign=campaign or RansomCampaign(), settle=settle)
    if kind == "target-corruption":
        machine.unmount()  # raid1's target is the machine's own pair: it must be at rest to be struck
        return [target.corrupt_target(path, seed=seed, count=int(options.get("count", 8)),
                                      mode=str(options.get("mode", "uniform")), at=at)
                for path in reachable if path.exists()]
    machine.unmount()
    image = machine.image
    if kind == "bitrot":
        return [machine.bitrot(seed=seed, count=int(options.get("count", 8)), mode=str(options.get("mode", "uniform")),
                               folders=folders, at=at)]
    if kind == "bad-sectors":
        return [sectors.bad_sectors(image, seed=seed, sectors=int(options.get("count", 8)),
                                    where=str(options.get("where", "files")), folders=folders, at=at)]
    if kind == "partition-wipe":
        return [table.wipe_table(image, which=str(options.get("which", "both")), seed=seed, at=at)]
    if kind == "boot-wipe":
        return [boot.wipe_boot_code(image, seed=seed, at=at)]
    if kind == "superblock":
        return [superblock.damage_superblock(image, seed=seed, at=at)]
    if kind == "disk-loss":
        return [loss.lose_disk(image, seed=seed, at=at)]
    raise ValueError(f"no strike for fault kind '{kind}'")  # crash-during-protect is run by the runner


def _ransom(spec: FaultSpec, machine: Machine, *, seed: int, at: datetime, folders: tuple[str, ...],
            reachable: list, day_index: int, campaign: RansomCampaign,
            settle: Callable[[], None]) -> list[FaultRecord]:
    root = machine.mount()
    days = int(spec.options.get("days", 1))
    if not campaign.days:
        victims = ransomware.choose_victims(ransomware.candidates(root, folders),
                                            float(spec.options.get("fraction", 0.5)), rng("ransomware", seed))
        campaign.days = ransomware.split_days(victims, days, rng("ransomware-days", seed))
    today = [name for name in campaign.days[day_index] if (root / name).exists()]
    records = [ransomware.encrypt_files(root, today, seed=seed, at=at)] if today else []
    settle()  # a continuous mirror copies the damage first; then the ransomware walks the mirror too
    online = [path for path in reachable if path.is_dir()]
    if online:
        records.append(ransomware.encrypt_reachable_targets(online, seed=seed, at=at))
    return records


def strike_hours(spec: FaultSpec) -> list[int]:
    """The hours a fault strikes: once, or once a day for slow ransomware."""
    return [spec.hour + 24 * day for day in range(int(spec.options.get("days", 1)))]
