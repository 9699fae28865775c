"""Every real tool in a cell of the matrix: protect -> a deletion -> recovery -> score, judged by what came back."""

from __future__ import annotations

import pytest
from cellkit import fault_files, scenario

from workbench.experiment.schedule import parse_schedule
from workbench.strategies import catalog

pytestmark = [pytest.mark.root, pytest.mark.slow]

DELETION = scenario("deletion", [("deletion", "day 1 14:00", {"whole_folder": True})], "day 2 09:00")
ENGINES = ["backup/restic", "backup/borg", "backup/borg:repokey", "backup/rsnapshot"]


@pytest.mark.parametrize("strategy", ENGINES)
def test_a_deleted_folder_comes_back_from_the_tools_history(run, strategy: str) -> None:
    row, details = run(strategy, DELETION)
    deleted = fault_files(details, "deletion")
    assert deleted, "the fault deleted files"
    assert (row["strategy"], row["family"], row["engine"]) == ("backup", "backup", catalog.parse(strategy).row.engine)
    assert row["files_missing"] == 0 and row["files_corrupted"] == 0, details["verdicts"]
    assert row["came_back_clean"] and row["files_restored"] >= len(deleted)
    runs = parse_schedule(catalog.row("backup").schedule).hours(0, DELETION.fault_hour + 1)
    assert row["points_at_fault"] == len(runs), "the same schedule as the workbench's backup, and every point kept"
    assert row["rpo_hours"] == (DELETION.fault_hour - runs[-1] if row["files_stale"] else 0)
    assert row["footprint_bytes"] > 0 and not row["damage_detected"]


TARGET_CORRUPTION = scenario("target-corruption", [("target-corruption", "day 1 10:00", {"count": 64}),
                                                   ("disk-loss", "day 1 12:00", {})], "day 1 12:00")
#: Where each tool keeps its stored data in its target: what a flip may land in (no lock, key or config).
DATA = {"backup/restic": ("data/",), "backup/borg": ("data/",), "backup/rsnapshot": ("hourly.", "daily.")}


@pytest.mark.parametrize("strategy", list(DATA))
def test_rot_in_the_tools_stored_data_is_detected(run, strategy: str) -> None:
    row, details = run(strategy, TARGET_CORRUPTION)
    [record] = [f for f in details["faults"] if f["kind"] == "target-corruption"]
    flipped = [bit["path"].split("/target/", 1)[1] for bit in record["bits"]]  # paths inside the cell's target
    assert flipped and all(name.startswith(DATA[strategy]) for name in flipped), flipped
    assert row["damage_detected"] is True, "the tool's own check (rsnapshot: its checksum listing) sees the rot"
    assert row["recovery_level"] == "disk" and row["restore_point_time"], "the disk is rebuilt from a point"
