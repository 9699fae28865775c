"""A strategy bound to one experiment cell: its target, its scope, and how it meets the machine.

The engine only talks to ``Protection``; the few ways strategies differ in
their *mechanics* (a block-level engine reads the unmounted disk, a file-level
one reads the mounted tree, a continuous mirror watches while mounted, a
clone is a disk) live in these classes, so recovery and scoring never branch
on a strategy's name.

Where a target is between runs follows the scenario's ``targets`` setting
(``scenario.TARGETS``): ``offline`` (the default) leaves only a mirror's target
attached to the machine, as people keep one; ``online`` leaves every target
attached; ``detached`` attaches every target only while a protect run uses it,
a mirror's too (a USB drive plugged in for each sync). A continuous mirror's
target is attached by nature (its watcher writes to it all the time), and
raid1's pair is the filesystem itself.

History on the simulated clock: a scheduled run makes a point at its hour.
A protection without scheduled runs says what it kept each hour through
``keep`` (a ``Kept``): a continuous mirror, every hour its watcher applied
changes (the work of those syncs counts as that hour's protect run); raid1,
every hour (its pair is in step with every write: it is stamped "now").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
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
    from ..strategies.mirror.continuous import Applied, ContinuousMirror
    from ..strategies.mirror.strategies import MirrorContinuous

HOME = ("home",)
Clock = Callable[[], datetime]


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Kept:
    """What a protection without scheduled runs kept in one stretch of a simulated hour."""

    point: RestorePoint  # the point it holds now, on the simulated clock
    seconds: float = 0.0  # real seconds of the work (raid1: 0, its writes are the filesystem's own)
    stored_bytes: int = 0
    syncs: int = 0  # a continuous mirror's syncs (its first full one, then batches)
    is_run: bool = True  # counts as a protect run (a continuous mirror's work does; raid1 makes none)


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
    live_target: bool = False  # a mirror: people keep its target attached to the machine (a live folder)
    always_attached: bool = False  # attached whatever the scenario says (a continuous mirror's watcher)
    tree_copy: bool = False  # the target is a plain copy of ``subdir`` (a mirror): a second machine's edits land there
    # schedule rule -> protect options ("weekly": {"full": True})
    options: dict[str, dict] = field(default_factory=dict)
    subdir: str = ""  # file-level source inside the root tree ("" = the root, with a folder selection)
    events: list[dict] = field(default_factory=list)  # a watcher's summary, per mounted stretch
    propagation_delays_s: list[float] = field(default_factory=list)  # per change a watcher applied
    writes_source: bool = False  # a two-way mirror may change the protected tree itself
    filesystem_is_target: bool = False  # raid1: the protected filesystem lives on the target itself

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

    def attach(self, machine: Machine, clock: Clock = _wall_clock) -> None:
        """Called once the machine exists (a continuous mirror starts watching here); ``clock`` gives the
        simulated time for whatever the protection records without a scheduled run."""

    def detach(self) -> None:
        """Called before recovery and at the end (a continuous mirror stops here)."""

    def settle(self) -> None:
        """Called every simulated hour (a continuous mirror catches up here)."""

    def keep(self, now: datetime) -> Kept | None:
        """What the protection kept since the last call without a scheduled run (None: nothing)."""
        return None

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

    def attached_between_runs(self, targets: str) -> bool:
        """Whether the target stays attached to the machine between runs, under a scenario's ``targets``."""
        if self.always_attached or targets == "online":
            return True
        return self.live_target and targets != "detached"

    def reachable(self, targets: str) -> list[Path]:
        """What ransomware on the machine can reach besides the disk, under a scenario's ``targets``."""
        return [self.target] if self.attached_between_runs(targets) else []

    def tree_copies(self) -> dict[str, Path]:
        """Folders of the root tree kept as plain copies elsewhere: ``subdir`` -> the mirror's target."""
        return {self.subdir: self.target} if self.tree_copy else {}

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

    def attach(self, machine: Machine, clock: Clock = _wall_clock) -> None:
        self._machine = machine
        self._clock = clock
        self._watcher: ContinuousMirror | None = None
        self._applied: list[Applied] = []  # what stopped watchers applied and ``keep`` has not reported yet
        machine.listeners.append(self._on_mount)
        if machine.root is not None:
            self._on_mount(machine.root)

    def _on_mount(self, root: Path | None) -> None:
        if root is None:
            self._stop()
        else:
            source = root / self.subdir if self.subdir else root
            self._watcher = self.strategy.watch(source, self.target, clock=self._clock).start()

    def _stop(self) -> None:
        if self._watcher is not None:
            stats = self._watcher.stop()
            self._applied += self._watcher.drain_applied()
            self.events.append(stats.summary())
            self.propagation_delays_s.extend(stats.delays_s)
            self._watcher = None

    def keep(self, now: datetime) -> Kept | None:
        """The syncs the watchers applied since the last call, as one point at ``now`` (None: no change)."""
        applied = self._applied + (self._watcher.drain_applied() if self._watcher is not None else [])
        self._applied = []
        if not applied:
            return None
        point = RestorePoint("now", now, "continuous", stored_bytes=sum(a.bytes_copied for a in applied), extra={
            "written": sorted({p for a in applied for p in a.written}),
            "removed": sorted({p for a in applied for p in a.removed})})
        return Kept(point, seconds=sum(a.seconds for a in applied), stored_bytes=point.stored_bytes,
                    syncs=len(applied))

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

    def reachable(self, targets: str) -> list[Path]:
        return []  # there is no target, online or not
