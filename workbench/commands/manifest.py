"""``workbench manifest`` and ``workbench compare-tree``: record the ground truth, then judge against it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import workspace
from ..truth.judge import DEFAULT_IGNORE, Comparison, compare
from ..truth.manifest import take_manifest


@dataclass(frozen=True)
class Recorded:
    """A manifest written: of what, where, what it holds, how long it took."""

    target: Path
    out: Path
    entries: int
    files: int
    bytes: int
    seconds: float
    disk: bool  # a disk image's manifest (partition table, boot code, ESP and root), not a folder's


@dataclass(frozen=True)
class Judged:
    """A tree or disk judged against a manifest: every entry's verdict, and what differs on the disk itself."""

    result: Comparison
    disk_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result.ok and not self.disk_problems


def manifest(target: str | Path, *, out: str | Path, force: bool = False,
             include: Sequence[str] | None = None) -> Recorded:
    """Record a folder's or a disk image's state (BLAKE3 of every file, and all metadata) into ``out`` (JSON)."""
    source = workspace.resolve(target, must_exist=True)
    destination = workspace.new_file(out, overwrite=force)
    began = time.monotonic()
    is_disk = source.is_file()
    if is_disk:
        from ..truth.disk_manifest import take_disk_manifest  # a disk only: a folder's start-up skips the disk layer

        disk = take_disk_manifest(source, include=include)
        disk.save(destination)
        tree = disk.root
    else:
        tree = take_manifest(source, include=include)
        tree.save(destination)
    return Recorded(source, destination, len(tree.entries) if tree else 0, sum(1 for _ in tree.files()) if tree else 0,
                    tree.total_bytes() if tree else 0, time.monotonic() - began, is_disk)


def compare_tree(manifest: str | Path, target: str | Path, *, history: Sequence[str | Path] = (),
                 ignore: Sequence[str] = (), strict: bool = False) -> Judged:
    """Judge a folder or disk against a manifest; with ``history``, content equal to an older one is 'stale'.

    Folder mtimes and the fields of ``DEFAULT_IGNORE`` are not compared unless ``strict``.
    """
    from ..truth.disk_manifest import disk_differences, load_any, take_disk_manifest  # reads either kind

    expected, expected_disk = load_any(workspace.resolve(manifest, must_exist=True))
    older = [load_any(workspace.resolve(h, must_exist=True))[0] for h in history] or None
    source = workspace.resolve(target, must_exist=True)
    skipped = (set() if strict else set(DEFAULT_IGNORE)) | {name.strip() for name in ignore if name.strip()}
    problems: list[str] = []
    if source.is_file():
        actual_disk = take_disk_manifest(source, include=expected.include)
        actual = actual_disk.root
        if expected_disk is not None:
            problems = disk_differences(expected_disk, actual_disk)
        if actual is None:
            problems.append("no root or data filesystem found on the disk")
            actual = type(expected)({})
    else:
        actual = take_manifest(source, include=expected.include)
    return Judged(compare(expected, actual, ignore=skipped, history=older), problems)
