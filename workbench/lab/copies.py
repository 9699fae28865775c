"""A strategy bound to its target: what a notebook protects with, lists, restores and reads back.

``strategy(name, target)`` gives a ``Copy``. It knows what of the disk its engine
reads (the unmounted disk image, the mounted root with a folder selection, or one
mounted folder) and mounts the disk for as long as a file-level engine needs it, so
``copy.protect(disk)`` is one call whatever the strategy. The engines are the
library's own (``workbench.strategies``); nothing here copies or restores a byte.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from .. import workspace
from ..disk.mounting import mounted
from ..errors import UsageError
from ..experiment.registry import strategy_spec
from ..strategies import catalog
from ..strategies.base import RestorePoint, RestoreReport, Strategy, VerifyReport
from ..strategies.mirror import raid1
from ..strategies.mirror.raid1 import Capacity
from ..strategies.mirror.record import LEFT_OUT

#: What an engine reads: the unmounted disk image; the mounted root, taking only ``folder``
#: (a backup's selection); or the mounted ``folder`` itself (a mirror's source).
Reads = Literal["disk", "root", "folder"]
#: Reading a copy in place: its target -> a context that yields the tree it holds.
Opener = Callable[[Path], AbstractContextManager[Path]]


@contextmanager
def _as_it_is(target: Path) -> Iterator[Path]:
    yield target


@contextmanager
def _mounted_clone(target: Path) -> Iterator[Path]:
    with mounted(target, readonly=True) as root:
        yield root


@contextmanager
def _mounted_pair(target: Path) -> Iterator[Path]:
    with raid1.mounted_pair(target, readonly=True) as pair:
        yield pair.mountpoint


@dataclass(frozen=True)
class _Kind:
    """How lab sets up one strategy name: the engine, what it reads, how its copy is read in place."""

    make: Callable[..., Strategy]  # (variant, folder, **options) -> engine
    reads: Reads
    opener: Opener | None = None  # None: nothing to read in place (restore a point first)
    left_out: tuple[str, ...] = ()  # the copy's own records at its top, not the user's files


def _image(variant: str, folder: str, **options: Any) -> Strategy:
    from ..strategies.image.engine import ImageStrategy

    return ImageStrategy(**options)


def _clone(variant: str, folder: str, **options: Any) -> Strategy:
    from ..strategies.clone import CloneStrategy

    return CloneStrategy(**options)


def _backup(variant: str, folder: str, **options: Any) -> Strategy:
    from ..strategies.backup.engine import BackupStrategy
    from ..strategies.backup.snapshot import Selection

    return BackupStrategy(selection=Selection(folders=(folder,) if folder else ()), **options)


def _none(variant: str, folder: str, **options: Any) -> Strategy:
    from ..strategies.none import NoStrategy

    return NoStrategy()


def _mirror_engine(class_name: str, module: str = "strategies") -> Callable[..., Strategy]:
    """A mirror mode's strategy class, from ``workbench.strategies.mirror.<module>``, imported when first made."""
    def make(variant: str, folder: str, **options: Any) -> Strategy:
        cls = getattr(importlib.import_module(f"workbench.strategies.mirror.{module}"), class_name)
        return cls(checksum=variant == "checksum", **options) if variant else cls(**options)

    return make


def _external(engine: str) -> Callable[..., Strategy]:
    """A real tool's engine (``backup/restic``, ``mirror-sync/rsync``...): it keeps its state in the workspace's
    ``tools/``."""
    def make(variant: str, folder: str, **options: Any) -> Strategy:
        from ..strategies.external import engine_module

        state = options.pop("state", None) or workspace.home() / "tools" / engine
        built: Strategy = engine_module(engine).make(variant, folders=(folder,) if folder else (), state=state,
                                                     **options)
        return built

    return make


def _external_kind(row: catalog.StrategyRow) -> _Kind:
    """A real tool reads what the workbench's own engine of its family reads."""
    if row.family == "image":
        return _Kind(_external(row.engine), "disk")
    if row.family == "mirror":
        return _Kind(_external(row.engine), "folder", _as_it_is, LEFT_OUT)
    return _Kind(_external(row.engine), "root")


# One row per strategy name. The names and variants themselves are the experiment registry's
# (``strategy_spec`` checks them); a test keeps this table and that list the same.
_KINDS: dict[str, _Kind] = {
    "none": _Kind(_none, "disk"),
    "image": _Kind(_image, "disk"),
    "clone": _Kind(_clone, "disk", _mounted_clone),
    "backup": _Kind(_backup, "root"),
    "mirror-sync": _Kind(_mirror_engine("MirrorSync"), "folder", _as_it_is, LEFT_OUT),
    "mirror-continuous": _Kind(_mirror_engine("MirrorContinuous"), "folder", _as_it_is, LEFT_OUT),
    "mirror-two-way": _Kind(_mirror_engine("MirrorTwoWay"), "folder", _as_it_is, LEFT_OUT),
    "raid1": _Kind(_mirror_engine("Raid1Strategy", "raid1_mode"), "folder", _mounted_pair, LEFT_OUT),
    **{row.name: _external_kind(row) for row in catalog.external()},
}


@dataclass(frozen=True)
class Copy:
    """One strategy's engine and the target it keeps its copies in."""

    name: str  # as results name it: 'image', 'mirror-sync', ...
    variant: str
    engine: Strategy
    target: Path
    folder: str  # the disk's folder a file-level engine covers ('' = the whole root filesystem)
    reads: Reads

    @property
    def covers(self) -> str:
        """What of the disk the copy covers, in words: 'the whole disk', 'home/', 'the root filesystem'."""
        if self.engine.scope == "nothing":
            return "nothing"
        if self.reads == "disk":
            return "the whole disk"
        return f"{self.folder}/" if self.folder else "the root filesystem"

    @property
    def holds(self) -> str:
        """The folder of the disk whose tree the copy's top holds: '' for the root."""
        return self.folder if self.reads == "folder" else ""

    def protect(self, disk: Path, *, now: datetime | None = None) -> RestorePoint:
        """One protect run of ``disk`` (unmounted): a block-level engine reads the image, a
        file-level one the mounted tree, mounted for this run only. ``now``: the point's time."""
        now = now or datetime.now(UTC)
        if self.reads == "disk":
            return self.engine.protect(disk, self.target, now=now)
        with mounted(disk, at=_mount_point(disk)) as root:
            return self.engine.protect(root / self.holds if self.holds else root, self.target, now=now)

    def points(self) -> list[RestorePoint]:
        """The restore points the target holds, oldest first."""
        return self.engine.points(self.target)

    def point_before(self, time: datetime) -> RestorePoint:
        """The newest point taken before ``time``: where to go back to after damage struck then."""
        earlier = [point for point in self.points() if point.time < time]
        if not earlier:
            raise UsageError(f"{self.name} holds no point from before {time.isoformat()}")
        return earlier[-1]

    def restore(self, destination: Path, point: str = "latest", *, force: bool = False) -> RestoreReport:
        """Bring back ``point`` (an id, or 'latest') at ``destination``: a disk image for a block-level
        copy, a new or empty folder for a file-level one. ``force``: write over what is there."""
        return self.engine.restore(self.target, point, destination, force=force)

    def verify(self) -> VerifyReport:
        """The engine's own check of what it keeps."""
        return self.engine.verify(self.target)

    def footprint(self) -> int:
        """Bytes the target really takes on disk (allocated, not apparent)."""
        return self.engine.footprint(self.target)

    @contextmanager
    def opened(self) -> Iterator[Path]:
        """The copy as a tree, read in place (a mirror's folder, a mounted clone or raid1 pair).

        Its top holds the disk's ``holds`` folder. Images and backups are read by restoring
        a point first (``restore``), so they refuse.
        """
        kind = _KINDS[self.name]
        if kind.opener is None:
            raise UsageError(f"a {self.name} copy cannot be read in place: restore a point first "
                             "and read what came back")
        with kind.opener(self.target) as tree:
            yield tree

    @property
    def left_out(self) -> tuple[str, ...]:
        """Names at the top of ``opened()`` that are the copy's own records, not the user's files."""
        return _KINDS[self.name].left_out


def _mount_point(disk: Path) -> Path:
    """Where a disk is mounted for protect runs: always the same place, as on a real machine
    (a two-way mirror keys its state by the source's path)."""
    real = workspace.resolve(disk, must_exist=True)
    return workspace.mount_dir() / f"lab-{real.parent.name}-{real.stem}"


def strategy(name: str, target: str | Path, *, folder: str = "home", **options: Any) -> Copy:
    """A ``Copy`` of the strategy ``name`` ('image', 'backup', 'clone', 'mirror-sync', 'raid1', ...;
    a variant after a colon: 'mirror-sync:checksum'), keeping its copies at ``target``.

    ``target``: a folder in the workspace (an image file for 'clone'). ``folder``: what a
    file-level strategy covers ('home', the users' files, as in the comparisons; '' the whole
    root filesystem). ``options`` go to the engine, e.g. ``half_bytes=`` for raid1.
    A continuous mirror syncs once per ``protect`` here: lab runs no watcher.
    """
    base, variant = strategy_spec(name)
    kind = _KINDS[base]
    folder = folder.strip("/")
    engine = kind.make(variant, folder, **options)
    return Copy(base, variant, engine, workspace.resolve(target), folder, kind.reads)


def raid1_capacity(copy: Copy) -> Capacity:
    """Raw and usable bytes of a raid1 copy's pair (btrfs' own count), mounted read-only for it."""
    if copy.name != "raid1":
        raise UsageError(f"only a raid1 copy has a pair to measure, not {copy.name}")
    with raid1.mounted_pair(copy.target, readonly=True) as pair:
        return raid1.capacity(pair.mountpoint)
