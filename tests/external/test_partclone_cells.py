"""partclone in real cells: the disk rebuilt from its images after a partition wipe, and deleted files copied back."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiment"))
from cellkit import CellRunner, fault_files, missing_paths, scenario  # noqa: E402

pytestmark = [pytest.mark.root, pytest.mark.slow]

#: The point at 01:00 (daily@01), the table wiped right after it.
WIPE = scenario("partition-wipe", [("partition-wipe", "day 0 01:00", {})], "day 0 02:00")
DELETION = scenario("deletion", [("deletion", "day 0 01:00", {"count": 3})], "day 0 02:00")


@pytest.fixture
def run(workspace: Path, tmp_path: Path) -> CellRunner:
    return CellRunner(workspace, tmp_path / "details")


def test_a_wiped_disk_is_rebuilt_from_its_images_whole(run) -> None:
    row, details = run("image/partclone", WIPE)
    assert row["recovery_level"] == "disk" and row["points_at_fault"] == 1
    assert "onto a new disk" in details["recovery"]["actions"][-1]
    assert details["verdicts"] == [], "the judge finds every entry of the tree as it was"
    assert row["files_intact"] > 0 and row["files_missing"] == row["files_stale"] == row["files_corrupted"] == 0
    assert row["came_back_clean"] is True
    assert (row["partition_table_ok"], row["boot_ok"], row["esp_ok"], row["fsck_clean"], row["fs_uuid_ok"]) == (
        True, True, True, True, True), "the GPT, boot code, ESP and root filesystem came back as they were"


def test_deleted_files_come_back_from_the_point(run) -> None:
    row, details = run("image/partclone", DELETION)
    deleted = fault_files(details, "deletion")
    assert len(deleted) == 3
    assert missing_paths(details) == set() and row["files_missing"] == 0
    assert row["files_restored"] == 3 and row["recovery_level"] == "files"
