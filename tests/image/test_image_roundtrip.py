"""Image a disk, break it, restore it: the whole machine comes back (root: loop devices)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from image_helpers import MiB, allocated, manifest, same_files, same_table, wipe_table_and_superblock

from workbench.disk import health
from workbench.disk.create import create_disk
from workbench.disk.mounting import mounted
from workbench.disk.table import read_table
from workbench.errors import UsageError
from workbench.strategies.image import ImageStrategy

pytestmark = pytest.mark.root
NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def test_wiped_disk_comes_back_whole(disk: Path, workspace: Path):
    expected = manifest(disk)
    before = read_table(disk).entries()
    strategy = ImageStrategy()
    point = strategy.protect(disk, workspace / "images", now=NOW)
    wipe_table_and_superblock(disk)
    assert not health.check(disk).ok

    report = strategy.restore(workspace / "images", "latest", workspace / "fresh.img")
    restored = workspace / "fresh.img"
    assert report.point_id == point.id and not report.holes
    assert health.check(restored).ok, health.check(restored).details
    assert read_table(restored).entries() == before
    assert restored.stat().st_size == 96 * MiB
    assert allocated(restored) < 0.6 * restored.stat().st_size  # sparse: free space stays holes
    assert same_files(expected, restored)


def test_half_empty_disk_reads_only_used_blocks(disk: Path, workspace: Path):
    point = ImageStrategy().protect(disk, workspace / "images", now=NOW)
    size = disk.stat().st_size
    written = 24 * MiB  # what fill() wrote, incompressible
    assert written <= point.extra["bytes_read"] < 0.4 * size
    assert point.extra["chunks_zero"] > 0
    assert point.stored_bytes < point.extra["bytes_read"]


def test_free_blocks_with_old_data_are_not_stored(disk: Path, workspace: Path):
    strategy = ImageStrategy()
    before = strategy.protect(disk, workspace / "images", now=NOW)
    held = allocated(disk)
    with mounted(disk, options=["nodiscard"]) as root:  # our disks discard; a disk from elsewhere may not
        (root / "home" / "user" / "docs" / "photo0.jpg").unlink()
    assert allocated(disk) >= held - MiB  # no trim: the freed blocks still hold the old bytes
    after = strategy.protect(disk, workspace / "images", now=NOW, full=True)
    assert before.extra["bytes_read"] - after.extra["bytes_read"] >= 4 * MiB - 64 * 1024
    assert before.stored_bytes - after.stored_bytes >= 4 * MiB - 64 * 1024


def test_restore_onto_a_larger_disk_moves_the_backup_gpt(disk: Path, workspace: Path):
    expected = manifest(disk)
    strategy = ImageStrategy()
    strategy.protect(disk, workspace / "images", now=NOW)
    big = create_disk("big.img", "data", 128 * MiB)
    strategy.restore(workspace / "images", "latest", big, force=True)
    assert big.stat().st_size == 128 * MiB
    assert allocated(big) < 0.4 * big.stat().st_size, allocated(big)  # sparse: free space and the growth stay holes
    assert health.check(big).ok, health.check(big).details
    assert same_table(disk, big)
    assert same_files(expected, big)


def test_restore_refuses_a_disk_too_small_or_existing_without_force(disk: Path, workspace: Path):
    strategy = ImageStrategy()
    strategy.protect(disk, workspace / "images", now=NOW)
    small = create_disk("small.img", "system", 64 * MiB)
    with pytest.raises(UsageError, match="too small"):
        strategy.restore(workspace / "images", "latest", small, force=True)
    with pytest.raises(UsageError, match="--force"):
        strategy.restore(workspace / "images", "latest", small)
    assert health.check(small).ok  # untouched by the refusals


def test_single_file_restore_without_restoring_the_disk(disk: Path, workspace: Path):
    strategy = ImageStrategy()
    strategy.protect(disk, workspace / "images", now=NOW)
    with mounted(disk, readonly=True) as root:
        want = (root / "home/user/docs/notes3.txt").read_bytes()
        photo = (root / "home/user/docs/photo2.jpg").read_bytes()
    copied = strategy.extract(workspace / "images", None, "/home/user/docs/notes3.txt", workspace / "out")
    assert copied.read_bytes() == want
    folder = strategy.extract(workspace / "images", None, "/home/user/docs", workspace / "out2")
    assert (folder / "photo2.jpg").read_bytes() == photo
    assert not list((workspace / ".tmp").iterdir())  # the scratch partition is gone
    with pytest.raises(UsageError, match="cannot be copied"):
        strategy.extract(workspace / "images", None, "/no/such/file", workspace / "out3")


def test_mounted_source_is_refused_unless_frozen(disk: Path, workspace: Path):
    strategy = ImageStrategy()
    with mounted(disk) as root:
        with pytest.raises(UsageError, match="mounted"):
            strategy.protect(disk, workspace / "images", now=NOW)
        (root / "late.txt").write_text("written just before the freeze\n")
        point = ImageStrategy(freeze=True).protect(disk, workspace / "images", now=NOW)
        (root / "after.txt").write_text("the filesystem was thawed\n")  # would hang if still frozen
    restored = workspace / "r.img"
    strategy.restore(workspace / "images", point.id, restored)
    with mounted(restored, readonly=True) as root:
        assert (root / "late.txt").read_text() == "written just before the freeze\n"
