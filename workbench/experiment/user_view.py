"""What the recovering user can see: recovery's inputs, every one of them, gathered in one place.

- **when** the damage was noticed (simulated time);
- **the disk** as the user meets it: is it there, does it have its partitions and boot code, does its
  root pass fsck and mount, and did it report itself failing (a scenario's ``noticed: failing-disk``);
- **the live files** as the user can read them: names, kinds, sizes and mtimes (``ls -l``), their
  content as it reads back (a blake3 of it, as ``b3sum`` gives) and the read errors met on the way;
  among them **the ransom note** and the files renamed with its extension;
- **the strategy's own word**: its points, what its verify found, and each point's listing
  (``Protection.listing``), asked for when recovery looks at that point.

The ground truth is not among them: nothing here reads a manifest the workbench took, a fault's
record or the scenario's list of faults. ``look`` is the one place these inputs are gathered.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import blake3

from ..errors import WorkbenchError
from ..faults.ransomware import EXTENSION, NOTE_NAME
from ..strategies.base import Listed, RestorePoint, kind_of
from .machine import Machine
from .recoverable import Recoverable

#: The hash the user takes of live files: what our tools keep (``Listed.hash_name``), and ``b3sum``.
CONTENT_HASH = "blake3"
_READ_ERRORS = (errno.EIO, errno.EBADMSG, errno.EUCLEAN)


@dataclass(frozen=True)
class DiskAsSeen:
    present: bool  # the disk is still there
    usable: bool  # it has its partitions and boot code, and its root passes fsck and mounts
    failing: bool  # it reported itself failing: the user replaces it even though it still mounts


@dataclass(frozen=True)
class LiveEntry:
    """One entry of the live tree, as ``ls -l`` and reading it show it."""

    kind: str  # "file", "dir", "symlink" or "other", as ``Listed.kind``
    size: int
    mtime_ns: int
    content: str | None = None  # blake3 (hex) of a regular file's bytes as they read back
    read_error: str = ""  # why reading the file failed (an I/O error), if it did

    def same_listing(self, listed: Listed) -> bool:
        """The same kind, size and mtime as a point's listing shows: unchanged since, to the eye."""
        return (self.kind, self.size, self.mtime_ns) == (listed.kind, listed.size, listed.mtime_ns)


@dataclass(frozen=True)
class RansomNote:
    """What ransomware leaves in sight: its notes, and the files it renamed (``NAME.locked``)."""

    notes: tuple[str, ...]
    since_ns: int  # the earliest note's mtime: when it set to work
    locked: tuple[str, ...]


@dataclass(frozen=True)
class LiveTree:
    """The live files within the strategy's scope, read through the mounted disk at ``root``."""

    root: Path
    entries: Mapping[str, LiveEntry]
    ransom: RansomNote | None

    def unreadable(self) -> list[str]:
        return sorted(path for path, entry in self.entries.items() if entry.read_error)


@dataclass
class PointsAsSeen:
    """The strategy's points and its verify output; listings are asked for point by point."""

    clean: tuple[RestorePoint, ...]  # newest first: verify found nothing wrong with them
    damaged: tuple[RestorePoint, ...]  # newest first: verify found damage they depend on
    verify_findings: tuple[str, ...]  # what verify (or opening the target) said, one line each
    verify_s: float  # the seconds verify took (the RTO leaves verify out)
    protection: Recoverable = field(repr=False)  # whose listings these are
    _listings: dict[str, dict[str, Listed]] = field(default_factory=dict, repr=False)  # point id -> listing

    @property
    def damage_found(self) -> bool:
        return bool(self.verify_findings)

    def listing(self, point: RestorePoint) -> dict[str, Listed]:
        """The point's entries in scope, by path on the root tree (taken once, then kept)."""
        if point.id not in self._listings:
            self._listings[point.id] = {entry.path: entry for entry in self.protection.listing(point)}
        return self._listings[point.id]


@dataclass(frozen=True)
class WhatTheUserSees:
    """Recovery's inputs. Nothing in it comes from the ground truth."""

    noticed_at: datetime
    disk: DiskAsSeen
    live: LiveTree | None  # None when the user does not work from the live disk (it is gone, broken or failing)
    points: PointsAsSeen


def look(machine: Machine, protection: Recoverable, *, noticed_at: datetime, disk_failing: bool) -> WhatTheUserSees:
    """Gather what the user can see when they notice the damage (the machine is left mounted when it is used)."""
    points = _look_at_points(protection)
    disk = DiskAsSeen(present=machine.exists, usable=machine.usable(), failing=disk_failing)
    live = None
    if disk.usable and not disk.failing:
        root = machine.mount()
        live = read_live_tree(root, protection.folders)
    return WhatTheUserSees(noticed_at=noticed_at, disk=disk, live=live, points=points)


def _look_at_points(protection: Recoverable) -> PointsAsSeen:
    """The points the target holds now, sorted by what verify says of them."""
    started = time.perf_counter()
    try:
        points = tuple(reversed(protection.points()))
        report = protection.verify()
    except WorkbenchError as exc:
        return PointsAsSeen((), (), (f"the target is unreadable: {exc}",), time.perf_counter() - started, protection)
    verify_s = time.perf_counter() - started
    if not report.damage:
        return PointsAsSeen(points, (), (), verify_s, protection)
    findings = (f"verify found {len(report.damage)} damaged item(s)",)
    affected = {pid for damage in report.damage for pid in damage.affects}
    if not affected:  # damage not tied to particular points: trust none of them
        return PointsAsSeen((), points, findings, verify_s, protection)
    return PointsAsSeen(tuple(p for p in points if p.id not in affected), tuple(p for p in points if p.id in affected),
                        findings, verify_s, protection)


def read_live_tree(root: Path, folders: tuple[str, ...]) -> LiveTree:
    """Every entry within ``folders`` (the whole tree when empty): stat'ed, and each regular file read."""
    entries: dict[str, LiveEntry] = {}
    for path, st in _walk(root, folders):
        kind = kind_of(st.st_mode)
        content, error = None, ""
        if kind == "file":
            try:
                content = content_hash(root / path, CONTENT_HASH)
            except OSError as exc:
                if exc.errno not in _READ_ERRORS:
                    raise
                error = exc.strerror or "read error"
        entries[path] = LiveEntry(kind, st.st_size if kind == "file" else 0, st.st_mtime_ns, content, error)
    notes = sorted(p for p in entries if Path(p).name == NOTE_NAME)
    ransom = None
    if notes:
        ransom = RansomNote(tuple(notes), min(entries[n].mtime_ns for n in notes),
                            tuple(sorted(p for p in entries if p.endswith(EXTENSION))))
    return LiveTree(root, entries, ransom)


def content_hash(path: Path, name: str) -> str:
    """The hex digest ``name`` (blake3, or any of hashlib's) of a file's bytes as they read back."""
    hasher = blake3.blake3() if name == "blake3" else hashlib.new(name)
    with open(path, "rb", buffering=0) as handle:
        while block := handle.read(1 << 20):
            hasher.update(block)
    return hasher.hexdigest()


def knows_hash(name: str | None) -> bool:
    """Whether the user can take this hash of a live file (to compare with a listing's)."""
    return name is not None and (name == "blake3" or name in hashlib.algorithms_available)


def _walk(root: Path, folders: tuple[str, ...]) -> Iterator[tuple[str, os.stat_result]]:
    """(path, lstat) of every entry at or below each folder, in path order; symlinks are not followed."""
    starts = [f.strip("/") for f in folders] or [""]
    stack = []
    for start in sorted(starts, reverse=True):
        if start and os.path.lexists(root / start):
            stack.append(start)
        elif not start:
            stack += sorted((e.name for e in os.scandir(root)), reverse=True)
    while stack:
        path = stack.pop()
        st = os.lstat(root / path)
        yield path, st
        if stat.S_ISDIR(st.st_mode):
            with os.scandir(root / path) as listing:
                stack += sorted((f"{path}/{e.name}" for e in listing), reverse=True)
