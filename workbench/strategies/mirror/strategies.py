"""The mirror modes behind the common ``Strategy`` protocol.

A mirror keeps exactly one restore point, ``now``: the current state of the
target, at the time of its last sync. Restoring copies the mirror back. What
``verify`` can tell depends on what the mode keeps: hashes recorded at sync
time (checksum variant), the two-way state database (sizes and mtimes), or
btrfs' own checksums (a scrub). A damaged record (``record.DamagedRecord``) is
damage: ``points`` raises it, ``verify`` reports it, and the next sync rebuilds it.

raid1 is different: its strategy is in ``raid1_mode`` (imported only when asked for, so a
sync's start-up does not load the loop-device and served-disk layers).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ...disk import locks
from ...disk.targets import check_destination
from ...errors import OperationFailed, UsageError
from ...filehash import hash_file
from ..base import Damage, Listed, ProgressCallback, RestorePoint, RestoreReport, Scope, SourceKind, VerifyReport
from ..target_full import reports_full_target
from . import record, tree
from .listing import copy_paths, list_tree
from .sync import check_target, sync_tree
from .twoway import last_synced, load_state, signature, sync_two_way

if TYPE_CHECKING:
    from ..base import Strategy
    from .continuous import ContinuousMirror

POINT = "now"


def check_point(point_id: str) -> None:
    if point_id not in (POINT, "latest"):
        raise UsageError(f"a mirror has one restore point, 'now' (its current state), not '{point_id}'")


def restore_copy(tree_root: Path, point_id: str, destination: Path, force: bool) -> RestoreReport:
    """Make ``destination`` an exact copy of the mirror: what the mirror lacks is removed there
    (as ``rsync --delete`` back would), so a restored disk matches the mirror, not a mix.
    That deletes, so the destination must be new or empty unless ``force``."""
    check_point(point_id)
    check_destination(destination, force=force)
    result = sync_tree(tree_root, destination, write_record=False)
    return RestoreReport(POINT, bytes_written=result.bytes_copied, files=result.files)


def _check_synced(strategy: Strategy, target: Path, point_id: str) -> None:
    """A listing needs the one point, 'now', and a mirror that has synced at least once."""
    check_point(point_id)
    if not strategy.points(target):
        raise UsageError(f"'{target}' holds no {strategy.name} yet: run 'workbench mirror protect' first")


def read_all(root: Path) -> VerifyReport:
    """Read every file of the tree: all a mirror without hashes can check (I/O errors, missing bytes)."""
    report = VerifyReport()
    for path, entry in tree.scan(root, exclude_top=record.LEFT_OUT, xattrs=False).items():
        if entry.kind != "f":
            continue
        report.checked += 1
        try:
            hash_file(f"{root}/{path}")
        except OSError as exc:
            report.damage.append(Damage("file", path, f"unreadable: {exc.strerror}"))
    return report


def allocated_bytes(root: Path) -> int:
    """Bytes really allocated below root (st_blocks), each inode once."""
    seen: set[int] = set()
    total = os.lstat(root).st_blocks * 512
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            info = os.lstat(os.path.join(folder, name))
            if info.st_ino not in seen:
                seen.add(info.st_ino)
                total += info.st_blocks * 512
    return total


class OneWayMirror:
    """What makes an engine ``mirror-sync`` (this one or rsync's): folders copied one way, checked
    by size and mtime (``quick-check``) or by content (``checksum``)."""

    name = "mirror-sync"
    scope: Scope = "folders"
    source_kind: SourceKind = "tree"

    def __init__(self, checksum: bool = False) -> None:
        self.checksum = checksum
        self.variant = "checksum" if checksum else "quick-check"


class TwoWayMirror:
    """What makes an engine ``mirror-two-way`` (this one or unison's): folders kept in step both ways."""

    name = "mirror-two-way"
    scope: Scope = "folders"
    source_kind: SourceKind = "tree"
    variant = ""


class _MirrorFolderLister:
    """Lists and copies out the mirror folder itself: the one point of a mirror that has synced."""

    def listing(self: Strategy, target: Path, point_id: str) -> list[Listed]:
        """The mirror folder itself, as ``ls -lR`` and ``b3sum -r`` of it show it."""
        _check_synced(self, target, point_id)
        return list_tree(target, exclude_top=record.LEFT_OUT)

    def restore_paths(self: Strategy, target: Path, point_id: str, paths: Sequence[str], destination: Path, *,
                      force: bool = False) -> RestoreReport:
        """``cp -a`` of the chosen paths out of the mirror folder."""
        _check_synced(self, target, point_id)
        return copy_paths(target, paths, destination, point_id=POINT, force=force, exclude_top=record.LEFT_OUT)


class MirrorSync(OneWayMirror, _MirrorFolderLister):
    """``mirror-sync``: one-way, rsync -a --delete semantics, run on a schedule."""

    def __init__(self, checksum: bool = False, *, durable: bool = False) -> None:
        super().__init__(checksum)
        self.durable = durable  # write the target out before the record (durable across a power cut)

    @locks.writing("mirror")
    @reports_full_target("syncing the mirror", on_full=record.mark_interrupted,
                         advice="the mirror lists no point until a sync completes", unit_bytes=lambda _: 1)
    def protect(self, source: Path, target: Path, *, now: datetime,
                progress: ProgressCallback | None = None) -> RestorePoint:
        check_target(target)
        result = sync_tree(source, target, checksum=self.checksum, progress=progress, now=now,
                           mode=self.name.removeprefix("mirror-"), durable=self.durable)
        return RestorePoint(POINT, now, "sync", stored_bytes=result.bytes_copied, extra=result.to_json())

    def points(self, target: Path) -> list[RestorePoint]:
        """The one point, at its last sync's time; ``DamagedRecord`` when the record is damaged."""
        saved = record.load_sync(target)
        if saved is None or saved.get("interrupted"):
            return []
        return [RestorePoint(POINT, datetime.fromisoformat(saved["synced_at"]), "sync", extra={
            "mode": saved["mode"], "checksum": saved.get("checksum"), "files": saved.get("files"),
            "bytes": saved.get("bytes")})]

    def restore(self, target: Path, point_id: str, destination: Path, *, force: bool = False) -> RestoreReport:
        """The mirrored tree is copied back, also when the record beside it is damaged."""
        if not record.has_record(target, record.SYNC_NAME):
            raise UsageError(f"'{target}' is not a mirror (no {record.SYNC_NAME}): "
                             "run 'workbench mirror protect' first")
        return restore_copy(target, point_id, destination, force)

    def verify(self, target: Path) -> VerifyReport:
        """Checksum variant: every file against the hash recorded at sync time. Quick: read everything.

        A damaged record is reported as damage (with what reading everything finds).
        """
        try:
            saved = record.load_sync(target)
        except record.DamagedRecord as exc:
            report = read_all(target)
            report.damage.insert(0, Damage("record", record.SYNC_NAME, str(exc)))
            return report
        if saved is None:
            raise UsageError(f"'{target}' is not a mirror (no {record.SYNC_NAME}): "
                             "run 'workbench mirror protect' first")
        if saved.get("interrupted"):
            report = read_all(target)
            report.damage.insert(0, Damage("point", POINT, "a sync stopped part-way: the mirror is a mix of two "
                                           "states; sync again"))
            return report
        hashes: dict[str, str] = saved.get("hashes") or {}
        if not hashes:
            return read_all(target)
        report = VerifyReport()
        for path, expected in sorted(hashes.items()):
            report.checked += 1
            try:
                actual = hash_file(f"{target}/{path}").hex()
            except FileNotFoundError:
                report.damage.append(Damage("file", path, "missing from the mirror"))
                continue
            except OSError as exc:
                report.damage.append(Damage("file", path, f"unreadable: {exc.strerror}"))
                continue
            if actual != expected:
                report.damage.append(Damage("file", path, "content differs from the hash recorded at sync time"))
        return report

    def footprint(self, target: Path) -> int:
        return allocated_bytes(target)


class MirrorContinuous(MirrorSync):
    """``mirror-continuous``: inotify-driven; ``watch`` runs it, ``protect`` is a catch-up sync."""

    name = "mirror-continuous"

    def __init__(self, checksum: bool = False, delay_s: float = 0.2) -> None:
        super().__init__(checksum)
        self.delay_s = delay_s

    def watch(self, source: Path, target: Path, *, clock: Callable[[], datetime] | None = None) -> ContinuousMirror:
        """A watcher to use as a context manager around the workload: ``with strategy.watch(s, t) as m:``.

        ``clock``: what time the record is stamped with (default: the wall clock).
        """
        from .continuous import ContinuousMirror  # watchdog is only loaded when watching

        return ContinuousMirror(source, target, delay_s=self.delay_s, checksum=self.checksum, clock=clock)


class MirrorTwoWay(TwoWayMirror, _MirrorFolderLister):
    """``mirror-two-way``: Unison-like, conflicts keep both versions (see ``twoway``)."""

    @locks.writing("two-way mirror")
    @reports_full_target("syncing the two-way mirror", advice="both sides keep whole files and the last sync's state")
    def protect(self, source: Path, target: Path, *, now: datetime,
                progress: ProgressCallback | None = None) -> RestorePoint:
        try:
            result = sync_two_way(source, target, now=now, progress=progress)
        except OSError as exc:  # a bad sector: which side's version is right cannot be told, so stop cleanly
            if exc.errno != errno.EIO:
                raise
            raise OperationFailed(f"the two-way sync stopped: {exc.filename}: {exc.strerror}") from None
        return RestorePoint(POINT, now, "two-way", stored_bytes=result.bytes_copied, extra=result.to_json())

    def points(self, target: Path) -> list[RestorePoint]:
        when = last_synced(target)
        return [] if when is None else [RestorePoint(POINT, when, "two-way")]

    def restore(self, target: Path, point_id: str, destination: Path, *, force: bool = False) -> RestoreReport:
        if not record.has_record(target, record.TWOWAY_NAME):
            raise UsageError(f"'{target}' is not a two-way mirror (no {record.TWOWAY_NAME}): run protect first")
        return restore_copy(target, point_id, destination, force)

    def verify(self, target: Path) -> VerifyReport:
        """Every file readable, and size and mtime as the state database recorded at the last sync.

        A damaged state database is reported as damage (the next sync starts from an empty one).
        """
        report = read_all(target)
        try:
            state = load_state(target)
        except record.DamagedRecord as exc:
            report.damage.insert(0, Damage("record", record.TWOWAY_NAME, str(exc)))
            return report
        found = tree.scan(target, exclude_top=record.LEFT_OUT, xattrs=False)
        for path, sig in sorted(state.items()):
            if sig[0] != "f":
                continue
            have = signature(found.get(path))
            if have is None:
                report.damage.append(Damage("file", path, "missing since the last sync"))
            elif have[:3] != sig[:3]:
                report.damage.append(Damage("file", path, "size or mtime changed since the last sync"))
        return report

    def footprint(self, target: Path) -> int:
        return allocated_bytes(target)
