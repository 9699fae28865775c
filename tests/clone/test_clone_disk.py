"""The clone of a real disk: a refused protect spoils nothing, verify trusts only its own hashes (root)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from clonekit import digest, flip

from workbench.disk import health
from workbench.disk.mounting import mounted
from workbench.disk.table import read_table
from workbench.errors import UsageError
from workbench.strategies.clone import CloneStrategy, hashes_path, marker_path

pytestmark = pytest.mark.root
MiB = 1 << 20
NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)




def test_refused_protect_leaves_a_good_clone_good(system_disk: Path, workspace: Path):
    clone = workspace / "clones" / "pc.img"
    strategy = CloneStrategy()
    strategy.protect(system_disk, clone, now=NOW)
    before = digest(clone)
    with mounted(system_disk) as root:
        (root / "new.txt").write_text("written while mounted")
        with pytest.raises(UsageError, match="mounted"):
            strategy.protect(system_disk, clone, now=NOW)
        with pytest.raises(UsageError, match="mounted"):  # a first clone refused: no half-made file
            strategy.protect(system_disk, workspace / "clones" / "other.img", now=NOW)
    assert strategy.verify(clone).ok, strategy.verify(clone).damage
    assert not marker_path(clone).exists()
    assert not (workspace / "clones" / "other.img").exists()
    assert digest(clone) == before
    report = strategy.restore(clone, None, workspace / "back.img")
    assert not report.holes and health.check(workspace / "back.img").ok
    again = strategy.protect(system_disk, clone, now=NOW)  # the clone is still refreshable
    assert again.extra["mode"] == "refresh"
    assert digest(clone) == digest(system_disk)


def test_verify_uses_hashes_from_clone_time_not_the_source(system_disk: Path, workspace: Path):
    clone = workspace / "clones" / "pc.img"
    strategy = CloneStrategy()
    strategy.protect(system_disk, clone, now=NOW)
    recorded = hashes_path(clone).read_bytes()
    with mounted(system_disk) as root:
        (root / "later.bin").write_bytes(os.urandom(MiB))
    assert digest(clone) != digest(system_disk)  # the source moved on...
    assert strategy.verify(clone).ok  # ...and the clone is still what it was
    assert hashes_path(clone).read_bytes() == recorded

    root_part = read_table(clone).by_role("root")
    flip(clone, root_part.start_bytes + 1024 + 100)  # inside the ext4 superblock
    report = strategy.verify(clone)
    assert not report.ok and len(report.damage) == 1
    block_start = (root_part.start_bytes + 1124) // (64 << 10) * (64 << 10)
    assert f"disk bytes {block_start}-{block_start + (64 << 10)}" in report.damage[0].where
    assert f"partition {root_part.number}" in report.damage[0].where
