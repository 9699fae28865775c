"""A strategy bound to one experiment cell: its target, its scope, and how it meets the machine.

The engine only talks to ``Protection``; the few ways strategies differ in
their *mechanics* (a block-level engine reads the unmounted disk, a file-level
one reads the mounted tree, a continuous mirror watches while mounted, a
clone is a disk) live in these classes, so recovery and scoring never branch
on a strategy's name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..disk import usage
from ..disk.create import create_disk
from ..disk.mounting import mounted
from ..disk.table import read_table
from ..errors import DamageFound, OperationFailed, RestoreIncomplete
from ..strategies.base import DiskStrategy, Listed, Lister, RestorePoint, RestoreReport, Strategy, VerifyReport
from .machine import Machine
from .schedule import Schedule

if TYPE_CHECKING:
    from ..strategies.mirror.continuous import ContinuousMirror
    from ..strategies.mirror.strategies import MirrorContinuous

HOME = ("home",)


def in_scope(path: str, folders: tuple[str, ...]) -> bool:
    """Whether a path of the root tree lies within ``folders`` (everything does when there are none)."""
    return not folders or any(path == f or path.startswith(f + "/") for f in folders)


@dataclass
class Protection:
    """Common ground: name, variant, schedule, target; subclasses say how to reach the source."""

    name: str
    strategy: Strategy
    schedule: Schedule
    target: Path
    scratch: Path
    variant: str = ""
    folders: tuple[str, ...] = ()  # scope inside the root tree; () = the whole disk
    always_online: bool = False  # a live folder on the machine (a mirror): ransomware reaches it
    # schedule rule -> protect options ("weekly": {"full": True})
    options: dict[str, dict] = field(default_factory=dict)
    subdir: str = ""  # file-level source inside the root tree ("" = the root, with a folder selection)
    events: list[dict] = field(default_factory=list)  # a watcher's summary, per mounted stretch
    propagation_delays_s: list[float] = field(default_factory=list)  # per change a watcher applied
    writes_source: bool = False  # a two-way mirror may change the protected tree itself

    @property
    def scope(self) -> str:
        return self.strategy.scope

    @property
    def keeps_history(self) -> bool:
        return True

    @property
    def watches(self) -> bool:
        """Whether a watcher copies changes as they happen (its events and delays are then measured)."""
        return False

    def make_machine(self, workdir: Path, disk_size: int) -> Machine:
        """The machine this strategy protects: by default a fresh system disk."""
        return Machine(create_disk(workdir / "source.img", "system", disk_size))

    def attach(self, machine: Machine) -> None:
        """Called once the machine exists (a continuous mirror starts watching here)."""

    def detach(self) -> None:
        """Called before recovery and at the end (a continuous mirror stops here)."""

    def settle(self) -> None:
        """Called every simulated hour (a continuous mirror catches up here)."""

    def source_for(self, machine: Machine) -> Path:
        """What the strategy reads, with the machine in the state it needs."""
        raise NotImplementedError

    def protect(self, machine: Machine, now: datetime, event: str) -> RestorePoint:
        options = self.options.get(event, {})
        return self.strategy.protect(self.source_for(machine), self.target, now=now, **options)

    def points(self) -> list[RestorePoint]:
        return self.strategy.points(self.target)

    def verify(self) -> VerifyReport:
        return self.strategy.verify(self.target)

    def footprint(self) -> int:
        return self.strategy.footprint(self.target)

    def reserved_bytes(self) -> int:
        return self.footprint()

    def usable_bytes(self) -> float:
        """What the target's own filesystem says it can hold, where the target is a filesystem of its own
        (a clone's disk); NaN for a target that is files on someone else's filesystem."""
        return math.nan

    def target_paths(self) -> list[Path]:
        """What target corruption strikes: the stored data, where the engine says which files hold it
        (``data_paths``: a real tool's data packs, not its locks or config), else the whole target."""
        data_paths = getattr(self.strategy, "data_paths", None)
        return data_paths(self.target) if data_paths is not None else [self.target]

    def reachable(self, targets_online: bool) -> list[Path]:
        """What ransomware on the machine can reach besides the disk."""
        return [self.target] if (self.always_online or targets_online) else []

    def listing(self, point: RestorePoint) -> list[Listed]:
        """The point's entries within the scope, as the engine lists them, with paths as on the root tree.

        No data is restored for it (a block-level engine mounts the point's filesystem read-only).
        """
        prefix = self.subdir + "/" if self.subdir else ""
        listed = [replace(entry, path=prefix + entry.path) for entry in self._lister().listing(self.target, point.id)]
        return [entry for entry in listed if in_scope(entry.path, self.folders)]

    def restore_paths(self, point: RestorePoint, paths: Sequence[str], root: Path, *,
                      rescue: bool = False) -> RestoreReport:
        """Bring back only ``paths`` (as on the root tree) of the point into the tree at ``root``, over what is
        there (a targeted restore). ``rescue``: the point is known to be damaged; keep what could be restored."""
        prefix = self.subdir + "/" if self.subdir else ""
        inner = [path.removeprefix(prefix) for path in paths]
        destination = root / self.subdir if self.subdir else root
        try:
            return self._lister().restore_paths(self.target, point.id, inner, destination, force=True)
        except DamageFound as exc:
            if not rescue:
                raise
            return RestoreReport(point.id, holes=[str(exc)])

    def _lister(self) -> Lister:
        """The engine, as a ``Lister``; an engine that cannot list its points says so."""
        if not isinstance(self.strategy, Lister):
            raise OperationFailed(f"the {self.name} engine cannot list its points or restore single paths")
        return self.strategy

    def rebuild_disk(self, point: RestorePoint, size_bytes: int, new_disk: Path, *, rescue: bool = False) -> Path:
        """Full recovery onto a blank disk of ``size_bytes``; returns the disk to swap in.

        ``rescue``: restore everything that can still be read from a damaged point.
        """
        raise NotImplementedError


class DiskProtection(Protection):
    """Block-level: reads the unmounted disk, restores whole disks."""

    strategy: DiskStrategy  # restored with rescue= and size=

    def source_for(self, machine: Machine) -> Path:
        machine.unmount()
        return machine.image

    def rebuild_disk(self, point: RestorePoint, size_bytes: int, new_disk: Path, *, rescue: bool = False) -> Path:
        new_disk.unlink(missing_ok=True)
        self.strategy.restore(self.target, point.id, new_disk, size=size_bytes, rescue=rescue)
        return new_disk


class ClonedDisk(DiskProtection):
    """A clone is a disk already: it is listed by mounting it, and "restored" by swapping it in.

    It reserves a whole disk, whatever it holds.
    """

    def rebuild_disk(self, point: RestorePoint, size_bytes: int, new_disk: Path, *, rescue: bool = False) -> Path:
        if rescue:  # a damaged clone: copy what still matches its recorded hashes onto a new disk
            return super().rebuild_disk(point, size_bytes, new_disk, rescue=True)
        self.strategy.restore(self.target, point.id, self.target)  # checks the clone is whole; copies nothing
        return self.target

    def reserved_bytes(self) -> int:
        files = [p for p in self.target.rglob("*.img")] if self.target.is_dir() else [self.target]
        return sum(p.stat().st_size for p in files if p.exists())

    def usable_bytes(self) -> float:
        """The clone disk's root filesystem: df's Size, read from its superblock."""
        if not self.target.is_file():
            return math.nan
        return usage.ext4_usage(self.target, read_table(self.target).by_role("root")).capacity_bytes


class TreeProtection(Protection):
    """File-level: reads the mounted tree (``subdir`` of the root, or the root with a folder selection)."""

    def source_for(self, machine: Machine) -> Path:
        root = machine.mount()
        return root / self.subdir if self.subdir else root

    def rebuild_disk(self, point: RestorePoint, size_bytes: int, new_disk: Path, *, rescue: bool = False) -> Path:
        """A file-level strategy has no partition table or boot area: a new disk, then the files."""
        create_disk(new_disk, "system", size_bytes, overwrite=True)
        with mounted(new_disk) as root:
            destination = root / self.subdir if self.subdir else root
            destination.mkdir(parents=True, exist_ok=True)
            self._restore(point, destination, rescue)
        return new_disk

    def _restore(self, point: RestorePoint, destination: Path, rescue: bool) -> None:
        """File-level restores write every file they can before reporting damage: rescue keeps those."""
        try:
            self.strategy.restore(self.target, point.id, destination)
        except RestoreIncomplete:
            if not rescue:
                raise


class ContinuousTree(TreeProtection):
    """A continuous mirror: watches the source whenever it is mounted, and catches up every hour."""

    strategy: MirrorContinuous  # it watches

    @property
    def watches(self) -> bool:
        return True

    def attach(self, machine: Machine) -> None:
        self._machine = machine
        self._watcher: ContinuousMirror | None = None
        machine.listeners.append(self._on_mount)
        if machine.root is not None:
            self._on_mount(machine.root)

    def _on_mount(self, root: Path | None) -> None:
        if root is None:
            self._stop()
        else:
            source = root / self.subdir if self.subdir else root
            self._watcher = self.strategy.watch(source, self.target).start()

    def _stop(self) -> None:
        if self._watcher is not None:
            stats = self._watcher.stop()
            self.events.append(stats.summary())
            self.propagation_delays_s.extend(stats.delays_s)
            self._watcher = None

    def settle(self) -> None:
        if self._watcher is not None:
            self._watcher.wait_idle()

    def detach(self) -> None:
        machine = getattr(self, "_machine", None)
        if machine is not None and self._on_mount in machine.listeners:
            machine.listeners.remove(self._on_mount)
        if getattr(self, "_watcher", None) is not None:
            self._stop()


class NoProtection(Protection):
    """The ``none`` baseline: nothing is kept; only what the disk itself offers can help."""

    @property
    def keeps_history(self) -> bool:
        return False

    def protect(self, machine: Machine, now: datetime, event: str) -> RestorePoint:
        raise AssertionError("the 'none' strategy never protects")

    def points(self) -> list[RestorePoint]:
        return []

    def verify(self) -> VerifyReport:
        return VerifyReport()

    def footprint(self) -> int:
        return 0

    def target_paths(self) -> list[Path]:
        return []

    def reachable(self, targets_online: bool) -> list[Path]:
        return []  # there is no target, online or not
