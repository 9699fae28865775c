"""Our engines on a disk with bad sectors: the backup leaves out exactly what would not read and keeps the
rest intact; image and clone copy around the bad runs, name them, and bring back every other byte."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sectorkit import FILES, content

from workbench.disk.mounting import drop_caches, mounted
from workbench.disk.served import opened
from workbench.faults.read_errors import inject_read_errors
from workbench.strategies.backup.engine import BackupStrategy
from workbench.strategies.backup.snapshot import Selection
from workbench.strategies.clone import CloneStrategy
from workbench.strategies.image.engine import ImageStrategy

pytestmark = pytest.mark.root

NOW = datetime(2026, 1, 2, 3, tzinfo=UTC)


def _below(paths: list[str], folder: str) -> set[str]:
    return {p for p in paths if p == folder or p.startswith(folder + "/")}


def test_the_backup_names_exactly_what_would_not_read_and_keeps_the_rest(workspace: Path,
                                                                        files_disk: Path) -> None:
    record = inject_read_errors(files_disk, seed=3)
    drop_caches()
    with opened(files_disk) as disk, mounted(disk) as root:
        point = BackupStrategy("full", Selection(folders=("home",))).protect(root, workspace / "repo", now=NOW)
    unreadable = point.extra["unreadable"]
    assert point.extra["read_errors"] == len(unreadable) > 0
    lost = set().union(*(_below(list(FILES), path) for path in unreadable))
    assert lost == set(record.files), "what the backup left out is what the fault made unreadable"
    restored = workspace / "restored"
    BackupStrategy().restore(workspace / "repo", point.id, restored)
    for name, size in FILES.items():
        if name.startswith("home/") and name not in lost:
            assert (restored / name).read_bytes() == content(name, size), name
        elif name in lost:
            assert not (restored / name).exists(), name


@pytest.mark.parametrize("engine", ["image", "clone"])
def test_image_and_clone_copy_around_the_bad_runs_and_bring_back_every_other_byte(workspace: Path,
                                                                                  files_disk: Path,
                                                                                  engine: str) -> None:
    """The copy of the failing disk equals the copy of the same disk before, but zeros in the bad runs."""
    copies = []
    for name in ("before", "failing"):
        if name == "failing":
            record = inject_read_errors(files_disk, seed=3)
            drop_caches()
        strategy = ImageStrategy() if engine == "image" else CloneStrategy()
        target = workspace / name / ("images" if engine == "image" else "clone.img")
        with opened(files_disk) as disk:
            point = strategy.protect(disk, target, now=NOW)
        if engine == "image":
            strategy.restore(target, point.id, workspace / name / "restored.img")
            copies.append(bytearray((workspace / name / "restored.img").read_bytes()))
        else:
            copies.append(bytearray(target.read_bytes()))
    unreadable = [tuple(map(int, text.removeprefix("disk bytes ").split("-"))) for text in point.extra["unreadable"]]
    assert point.extra["read_errors"] == len(unreadable)
    if engine == "clone":  # it reads every block that holds data
        assert unreadable == [(r.offset, r.end) for r in record.ranges]
    else:  # it reads the filesystem's used blocks only: of a bad run, what is in use
        assert all(any(r.offset <= start < end <= r.end for r in record.ranges) for start, end in unreadable)
        assert all(any(r.offset <= start < r.end for start, _ in unreadable) for r in record.ranges)
    before, failing = copies
    for bad in record.ranges:  # copied around: zeros where the disk would not read
        assert failing[bad.offset:bad.end] == bytes(bad.length) != before[bad.offset:bad.end]
        before[bad.offset:bad.end] = bytes(bad.length)
    assert failing == before, "every byte that read is back where it was"
