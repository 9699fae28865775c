"""RAID1 in the comparison: the protected filesystem itself lives on a btrfs raid1 pair.

Nothing is copied on a schedule: every write lands on both halves, which is
the point of RAID1 and also why a deletion or a ransomware write does too.
Faults under the filesystem strike half A (``a.img``, "the disk"): bit rot and
bad sectors in the data of a user's file there, superblock damage in btrfs'
primary superblock there; the other half is the mirror disk. Losing half A,
or its superblock, leaves a degraded pair that still mounts (without it). A
failing disk is replaced: the pair is rebuilt from the other half. There is
no partition table, boot code or ESP on a raw member, so the health columns
do not apply (NaN).

The pair's history: it is in step with every write, so every simulated hour
it is stamped "now" (``Kept`` with no run: raid1 makes no protect runs).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from ..disk.layout import SECTOR
from ..errors import OperationFailed, UsageError, WorkbenchError
from ..faults import raw
from ..faults.bitrot import inject_bitrot_at
from ..faults.records import ByteRange, FaultRecord, random_bytes, rng, timestamp
from ..faults.select import choose_files, files_under
from ..strategies.base import RestorePoint, VerifyReport
from ..strategies.mirror import raid1
from ..strategies.mirror.record import stamp_in_step
from ..strategies.mirror.sync import sync_tree
from ..truth.manifest import Manifest, take_manifest
from .machine import Machine
from .protection import Kept, Protection


class Raid1Machine(Machine):
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        super().__init__(raid1.halves(directory)[0])
        self._pair: raid1.MountedPair | None = None

    def mount(self) -> Path:
        if self.root is None:
            stack = ExitStack()
            self._pair = stack.enter_context(raid1.mounted_pair(self.directory, lost=raid1.missing_half(
                self.directory), degrade=True))
            self.root, self._stack = self._pair.mountpoint, stack
            for listener in self.listeners:
                listener(self.root)
        return self.root

    @property
    def exists(self) -> bool:
        return any(half.exists() for half in raid1.halves(self.directory))

    def usable(self) -> bool:
        """The pair mounts, whole or degraded (a half gone or no longer a member), as RAID1 promises."""
        try:
            with raid1.mounted_pair(self.directory, lost=raid1.missing_half(self.directory), readonly=True,
                                    degrade=True):
                return True
        except WorkbenchError:
            return False

    def facts(self) -> dict | None:
        return None

    def stored_bytes(self) -> int:
        """One copy of what btrfs says the pair uses: data, metadata and system."""
        self.unmount()
        with raid1.mounted_pair(self.directory, lost=raid1.missing_half(self.directory), readonly=True,
                                degrade=True) as pair:
            return raid1.capacity(pair.mountpoint).stored_bytes

    def manifest(self) -> Manifest | None:
        if self.root is not None:
            return take_manifest(self.root)
        try:
            with raid1.mounted_pair(self.directory, lost=raid1.missing_half(self.directory), readonly=True,
                                    degrade=True) as pair:
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

    def bad_sectors(self, *, seed: int, count: int, where: str, folders: tuple[str, ...],
                    at: datetime | None) -> FaultRecord:
        """``count`` sectors of half A turned to garbage: from the first block of a user's file there
        (``files``), or anywhere on the half (``root``, ``disk``: the half is the whole filesystem)."""
        if where not in ("files", "root", "disk"):
            raise UsageError(f"bad sectors on a raid1 half go 'files', 'root' or 'disk', not '{where}': "
                             "a raw member has no partitions")
        rand, length, hit = rng("bad-sectors", seed), count * SECTOR, []
        if where == "files":
            root = self.mount()
            big = [n for n in files_under(root, folders) if (root / n).stat().st_size > 4096]  # not inlined
            name = choose_files(big, 1, rand)[0]
            assert self._pair is not None
            start = next(p.offset_bytes for p in raid1.locate(self._pair, name) if p.image == self.image)
            hit = [name]
        else:
            start = rand.randrange(max(1, (self.image.stat().st_size - length) // SECTOR)) * SECTOR
        self.unmount()
        length = min(length, self.image.stat().st_size - start)
        changed = raw.overwrite(self.image, start, random_bytes("bad-sectors", seed, length, salt=str(start)))
        return FaultRecord(kind="bad-sectors", seed=seed, time=timestamp(at), target=str(self.image), files=hit,
                           ranges=[ByteRange(start, length, str(self.image), changed)],
                           details={"where": where, "sectors": length // SECTOR, "first_sector": start // SECTOR,
                                    "half": self.image.name})

    def superblock(self, *, seed: int, at: datetime | None) -> FaultRecord:
        """btrfs' primary superblock on half A XORed with random bytes: the half is no longer a member."""
        self.unmount()
        offset, size = raid1.SUPERBLOCK_OFFSET, raid1.SUPERBLOCK_SIZE
        changed = raw.xor_region(raw.require_detached(self.image), offset,
                                 random_bytes("superblock", seed, size))
        return FaultRecord(kind="superblock", seed=seed, time=timestamp(at), target=str(self.image),
                           ranges=[ByteRange(offset, size, str(self.image), changed)],
                           details={"half": self.image.name, "filesystem": "btrfs", "changed_bytes": changed})


class Raid1Protection(Protection):
    """The pair is the protection: no runs, one point ('now', stamped every hour), verify is a scrub."""

    def make_machine(self, workdir: Path, disk_size: int) -> Machine:
        """Two disks of the system disk's size, at least btrfs' minimum (``experiment.sizing``)."""
        raid1.create_pair(self.target, max(disk_size, raid1.MIN_SIZE))
        return Raid1Machine(self.target)

    def protect(self, machine: Machine, now: datetime, event: str) -> RestorePoint:
        raise AssertionError("raid1 is always in step: it has no protect runs")

    def keep(self, now: datetime) -> Kept | None:
        """The pair is in step now: stamp it (its point's time), as every hour."""
        if not any(half.exists() for half in raid1.halves(self.target)):
            return None
        stamp_in_step(self.target, now)
        return Kept(RestorePoint("now", now, "raid1"), is_run=False)

    def verify(self) -> VerifyReport:
        return self.strategy.verify(self.target)

    def reserved_bytes(self) -> int:
        """The second disk: RAID1 ties up a whole extra disk of the same size."""
        return raid1.halves(self.target)[1].stat().st_size

    def usable_bytes(self) -> float:
        """What btrfs says the pair can hold: both halves' size over its data ratio."""
        with raid1.mounted_pair(self.target, lost=raid1.missing_half(self.target), readonly=True,
                                degrade=True) as pair:
            return raid1.capacity(pair.mountpoint).usable_bytes

    def target_paths(self) -> list[Path]:
        """RAID1 keeps no copy apart from the filesystem: damage to its halves is the bitrot and
        bad-sectors scenarios' business, so target corruption finds nothing of its own to strike."""
        return []

    def reachable(self, targets: str) -> list[Path]:
        return []  # the ransomware writes through the filesystem, which is the pair itself

    def rebuild_disk(self, point: RestorePoint, size_bytes: int, new_disk: Path, *, rescue: bool = False) -> Path:
        """Replace the failing disk and rebuild the pair from the other half.

        The failing disk is half A (the machine's disk, which the faults strike), or the half
        that is gone. A new pair is made and the tree copied onto it from the surviving half,
        mounted degraded without the failing one; ``btrfs replace`` also copies every block in
        use onto the new disk, so the work is of the same size. Returns half A's path: the
        machine's disk is rebuilt in place.
        """
        keep_out = raid1.missing_half(self.target)
        keep_out = 0 if keep_out is None else keep_out
        self.scratch.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix="raid1-rebuild-", dir=self.scratch))
        try:
            raid1.create_pair(fresh, size_bytes)
            with raid1.mounted_pair(self.target, lost=keep_out, readonly=True) as old, \
                    raid1.mounted_pair(fresh) as new:
                sync_tree(old.mountpoint, new.mountpoint, write_record=False)
            for made, half in zip(raid1.halves(fresh), raid1.halves(self.target)):
                os.replace(made, half)
        except WorkbenchError as exc:
            raise OperationFailed(f"rebuilding the raid1 pair from its other half failed: {exc}") from exc
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
        return raid1.halves(self.target)[0]
