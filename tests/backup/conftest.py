"""Fixtures for the backup tests: a hand-made small tree and the classroom workload."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench.strategies.backup import BackupStrategy

DAY0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def make_small_tree(root: Path) -> Path:
    """Every kind of entry the snapshot format records, in a few hundred KiB plus one CDC-sized file.

    Seeded bytes, so chunk cuts and pack contents (and so the kill points the crash tests hit) repeat.
    """
    rng = random.Random(5)
    (root / "home/alice/docs").mkdir(parents=True)
    (root / "home/bob").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "home/alice/docs/notes.txt").write_text("meeting notes\n" * 500)
    (root / "home/alice/docs/empty").write_bytes(b"")
    (root / "home/alice/photo.jpg").write_bytes(rng.randbytes(200_000))
    (root / "home/bob/big.db").write_bytes(rng.randbytes(3 << 20))  # above the one-chunk threshold
    (root / "etc/shadow").write_text("root:*:1:0\n")
    os.chmod(root / "etc/shadow", 0o640)
    os.symlink("docs/notes.txt", root / "home/alice/latest")
    os.link(root / "home/alice/photo.jpg", root / "home/alice/photo-copy.jpg")
    os.setxattr(root / "home/alice/docs/notes.txt", "user.origin", b"scanner")
    os.mkfifo(root / "etc/pipe")
    if os.geteuid() == 0:
        os.chown(root / "home/bob/big.db", 1001, 1001)
        os.chown(root / "etc/shadow", 0, 42)
    (root / "tmp").mkdir(mode=0o1777)
    os.chmod(root / "tmp", 0o1777)
    for path in sorted(root.rglob("*"), reverse=True):
        os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000), follow_symlinks=False)
    return root


def churn_small_tree(root: Path, day: int) -> None:
    """Modify, add and delete a little, differently (and repeatably) each day."""
    rng = random.Random(day)
    with open(root / "home/bob/big.db", "r+b") as db:  # an edit in the middle of a large file
        db.seek(1 << 20)
        db.write(rng.randbytes(1000))
    (root / "home/alice/docs/notes.txt").write_text(f"day {day} notes\n" * 600)
    (root / f"home/alice/docs/day{day}.txt").write_text(f"new on day {day}\n")
    if day > 1:
        (root / f"home/alice/docs/day{day - 1}.txt").unlink()


@pytest.fixture
def small_tree(workspace: Path) -> Path:
    return make_small_tree(workspace / "src")


@pytest.fixture
def strategy() -> BackupStrategy:
    return BackupStrategy("incremental")
