"""Disk-level faults: table, boot code, superblock, bad sectors, disk loss; and what the disk can heal itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_helpers import FILES, changed_offsets, content, image_bytes, read_files

from workbench.disk import health
from workbench.disk.repair import rebuild_gpt_from_backup, repair_from_backup_superblock
from workbench.disk.table import read_table
from workbench.errors import UsageError
from workbench.faults import bad_sectors, damage_superblock, lose_disk, wipe_boot_code, wipe_table

pytestmark = pytest.mark.root


def _inside(offsets: list[int], record) -> bool:
    return all(any(r.offset <= o < r.end for r in record.ranges) for o in offsets)


def _changes_match(before, after, record) -> None:
    offsets = changed_offsets(before, after)
    assert _inside(offsets, record), "a byte changed outside the recorded ranges"
    assert len(offsets) == sum(r.changed_bytes for r in record.ranges)


def test_wiping_both_table_copies_loses_the_table_and_nothing_else(home_disk: Path) -> None:
    before = image_bytes(home_disk)
    record = wipe_table(home_disk, which="both")
    _changes_match(before, image_bytes(home_disk), record)
    assert record.details["changed_bytes"] > 0
    result = health.check(home_disk)
    assert not result.partition_table_ok and result.boot_code_ok
    # Without a table the ESP and root cannot be found, so they are reported unchecked (None), not broken.
    assert result.esp_ok is None and result.root_fsck_clean is None
    assert read_table(home_disk).partitions == ()
    assert not rebuild_gpt_from_backup(home_disk).ok  # nothing left to rebuild from


@pytest.mark.parametrize("which", ["primary", "backup"])
def test_one_table_copy_is_read_from_the_other_and_rebuilt(home_disk: Path, which: str) -> None:
    entries = read_table(home_disk).entries()
    before = image_bytes(home_disk)
    record = wipe_table(home_disk, which=which, fill="random", seed=3)
    _changes_match(before, image_bytes(home_disk), record)
    damaged = health.check(home_disk)
    assert not damaged.partition_table_ok
    assert damaged.boot_code_ok and damaged.esp_ok and damaged.root_fsck_clean
    assert read_table(home_disk).entries() == entries  # sfdisk reads the surviving copy

    repair = rebuild_gpt_from_backup(home_disk)
    assert repair.ok, repair.detail
    assert health.check(home_disk).ok
    assert read_table(home_disk).entries() == entries


def test_boot_wipe_breaks_only_the_boot_code_and_says_whether_it_changed(home_disk: Path) -> None:
    before = image_bytes(home_disk)
    record = wipe_boot_code(home_disk)
    after = image_bytes(home_disk)
    _changes_match(before, after, record)
    assert record.details["changed"] and not after[:440].any()
    result = health.check(home_disk)
    assert (result.partition_table_ok, result.boot_code_ok, result.esp_ok, result.root_fsck_clean) == (
        True, False, True, True)
    assert not wipe_boot_code(home_disk).details["changed"]  # zeros on zeros: a no-op, and recorded as one


def test_superblock_damage_breaks_only_fsck_and_a_backup_superblock_repairs_it(home_disk: Path) -> None:
    start = read_table(home_disk).by_role("root").start_bytes
    before = image_bytes(home_disk)
    record = damage_superblock(home_disk, seed=4)
    _changes_match(before, image_bytes(home_disk), record)
    assert record.ranges[0].offset == start + 1024 and record.ranges[0].length == 1024
    result = health.check(home_disk)
    assert (result.partition_table_ok, result.boot_code_ok, result.esp_ok, result.root_fsck_clean) == (
        True, True, True, False)

    repair = repair_from_backup_superblock(home_disk)
    assert repair.ok and "-b 8193 -B 1024" in repair.command
    assert health.check(home_disk).ok
    assert read_files(home_disk) == {n: content(n, s) for n, s in FILES.items()}


def test_bad_sectors_in_file_data_hit_the_recorded_files(home_disk: Path) -> None:
    before = image_bytes(home_disk)
    record = bad_sectors(home_disk, seed=6, sectors=4)
    _changes_match(before, image_bytes(home_disk), record)
    (span,) = record.ranges
    assert span.length == 4 * 512 and span.offset % 512 == 0 and span.changed_bytes > 2000
    assert record.files
    now = read_files(home_disk)
    assert {n for n, s in FILES.items() if now[n] != content(n, s)} == set(record.files)


def test_bad_sectors_anywhere_in_a_partition_stay_inside_it(home_disk: Path) -> None:
    esp = read_table(home_disk).by_role("esp")
    before = image_bytes(home_disk)
    record = bad_sectors(home_disk, seed=2, sectors=16, where="esp")
    _changes_match(before, image_bytes(home_disk), record)
    assert esp.start_bytes <= record.ranges[0].offset and record.ranges[0].end <= esp.end_bytes
    with pytest.raises(UsageError):
        bad_sectors(home_disk, seed=2, sectors=1 << 20, where="esp")


def test_disk_loss_deletes_the_image(home_disk: Path) -> None:
    size = home_disk.stat().st_size
    record = lose_disk(home_disk)
    assert not home_disk.exists() and record.details["size_bytes"] == size


def test_self_repairs_leave_a_sound_disk_untouched(home_disk: Path) -> None:
    before = image_bytes(home_disk)
    assert rebuild_gpt_from_backup(home_disk).ok
    assert repair_from_backup_superblock(home_disk).ok
    assert changed_offsets(before, image_bytes(home_disk)) == []
