"""RAID1 in the comparison: the protected filesystem itself lives on a btrfs raid1 pair.

Nothing is copied on a schedule: every write lands on both halves, which is
the point of RAID1 and also why a deletion or a ransomware write does too.
Faults under the filesystem strike half A (``a.img``, "the disk"); the other
half is the mirror disk. Losing half A leaves a degraded pair that still
mounts. There is no partition table, boot code or ESP on a raw member, so
the health columns do not apply (NaN).
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from ..errors import OperationFailed, WorkbenchError
from ..faults.bitrot import inject_bitrot_at
from ..faults.records import FaultRecord, rng
from ..faults.select import choose_files, files_under
from ..strategies.base import RestorePoint, VerifyReport
from ..strategies.mirror import raid1
from ..truth.manifest import Manifest, take_manifest
from .machine import Machine
from .protection import Protection


class Raid1Machine(Machine):
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        super().__init__(raid1.halves(directory)[0])
        self._pair: raid1.MountedPair | None = None

    def _lost(self) -> int | None:
        present = [half.exists() for half in raid1.halves(self.directory)]
        return None if all(present) else present.index(False)

    def mount(self) -> Path:
        if self.root is None:
            stack = ExitStack()
            self._pair = stack.enter_context(raid1.mounted_pair(self.directory, lost=self._lost()))
            self.root, self._stack = self._pair.mountpoint, stack
            for listener in self.listeners:
                listener(self.root)
        return self.root

    @property
    def exists(self) -> bool:
        return any(half.exists() for half in raid1.halves(self.directory))

    def usable(self) -> bool:
        try:
            with raid1.mounted_pair(self.directory, lost=self._lost(), readonly=True):
                return True
        except WorkbenchError:
            return False

    def facts(self) -> dict | None:
        return None

    def stored_bytes(self) -> int:
        """One copy of what btrfs says the pair uses: data, metadata and system."""
        self.unmount()
        with raid1.mounted_pair(self.directory, lost=self._lost(), readonly=True) as pair:
            return raid1.capacity(pair.mountpoint).stored_bytes

    def manifest(self) -> Manifest | None:
        if self.root is not None:
            return take_manifest(self.root)
        try:
            with raid1.mounted_pair(self.directory, lost=self._lost(), readonly=True) as pair:
                return take_manifest(pair.mountpoint)
        except WorkbenchError:
            return None

    def bitrot(self, *, seed: int, count: int, mode: str, folders: tuple[str, ...],
               at: datetime | None) -> FaultRecord:
        """Rot under half A only: bits flipped in the first block of some of the user's files there."""
        root = self.mount()
        big = [n for n in files_under(root, folders) if (root / n).stat().st_size > 4096]
        chosen = choose_files(big, max(1, min(count, len(big))), rng("bitrot-raid1", seed))
        assert self._pair is not None  # mount() above mounted the pair
        places = {}
        for name in chosen:
            for placement in raid1.locate(self._pair, name):
                if placement.image == self.image:
                    places[name] = (placement.offset_bytes, placement.length_bytes)
        self.unmount()
        records = [inject_bitrot_at(self.image, [place], seed=seed + index, count=1, label=name, at=at)
                   for index, (name, place) in enumerate(sorted(places.items()))]
        merged = records[0]
        for record in records[1:]:
            merged.files += record.files
            merged.bits += record.bits
        return merged


class Raid1Protection(Protection):
    """The pair is the protection: no runs, one point ('now'), verify is a scrub."""

    def make_machine(self, workdir: Path, disk_size: int) -> Machine:
        """Two disks of the system disk's size, at least btrfs' minimum (``experiment.sizing``)."""
        raid1.create_pair(self.target, max(disk_size, raid1.MIN_SIZE))
        return Raid1Machine(self.target)

    def protect(self, machine: Machine, now: datetime, event: str) -> RestorePoint:
        raise AssertionError("raid1 is always in step: it has no protect runs")

    def verify(self) -> VerifyReport:
        return self.strategy.verify(self.target)

    def reserved_bytes(self) -> int:
        """The second disk: RAID1 ties up a whole extra disk of the same size."""
        return raid1.halves(self.target)[1].stat().st_size

    def usable_bytes(self) -> float:
        """What btrfs says the pair can hold: both halves' size over its data ratio."""
        with raid1.mounted_pair(self.target, lost=self._lost(), readonly=True) as pair:
            return raid1.capacity(pair.mountpoint).usable_bytes

    def target_paths(self) -> list[Path]:
        """RAID1 keeps no copy apart from the filesystem: damage to its halves is the bitrot and
        bad-sectors scenarios' business, so target corruption finds nothing of its own to strike."""
        return []

    def reachable(self, targets_online: bool) -> list[Path]:
        return []  # the ransomware writes through the filesystem, which is the pair itself

    def _lost(self) -> int | None:
        present = [half.exists() for half in raid1.halves(self.target)]
        return None if all(present) else present.index(False)

    def rebuild_disk(self, point: RestorePoint, size_bytes: int, new_disk: Path, *, rescue: bool = False) -> Path:
        raise OperationFailed("a raid1 pair is not rebuilt from a copy: it runs degraded until a disk is replaced")
