"""RPO, the damage path, conflicts and history on the simulated clock, each from real cells (classroom, 8 MiB)."""

from __future__ import annotations

import math
from datetime import datetime

import pytest
from cellkit import fault_files, missing_paths, scenario

from workbench.experiment.clock import SimClock
from workbench.experiment.scenario import load_scenario

pytestmark = [pytest.mark.root, pytest.mark.slow]

CLOCK = SimClock()
# Deleted in the afternoon, noticed the next morning: an hourly mirror has synced the deletion by then.
DELETION = scenario("deletion", [("deletion", "day 1 14:00", {"whole_folder": True})], "day 2 09:00")


@pytest.mark.parametrize("strategy", ["none", "mirror-sync"])
def test_a_deletion_the_sync_propagated_is_lost_for_good_and_the_rpo_is_unbounded(run, strategy: str) -> None:
    row, details = run(strategy, DELETION)
    deleted = fault_files(details, "deletion")
    assert deleted and deleted <= missing_paths(details, "file")
    assert math.isinf(row["rpo_hours"]) and row["data_lost_for_good"] is True
    assert details["rpo"]["rpo_hours"] is None, "JSON has no infinity: null in the cell's details"
    assert set(details["rpo"]["lost_for_good"]) <= deleted
    assert row["target_damage_by"] == ("propagation" if strategy == "mirror-sync" else "none")


def test_a_deletion_noticed_before_the_next_sync_gives_the_mirror_a_finite_rpo(run) -> None:
    row, details = run("mirror-sync", DELETION, schedules={"mirror-sync": "daily@12"})  # no sync after 14:00
    assert row["files_missing"] == 0 and row["files_restored"] >= len(fault_files(details, "deletion"))
    assert row["data_lost_for_good"] is False and math.isfinite(row["rpo_hours"])
    assert 0 <= row["rpo_hours"] <= DELETION.fault_hour - (24 + 12), "no older than the 12:00 sync"
    assert row["target_damage_by"] == "none"


def test_an_offline_mirror_copies_the_ransomware_itself_an_online_one_is_attacked(run) -> None:
    offline, details = run("mirror-sync", load_scenario("ransomware-offline-mirror"))
    assert offline["variant"] == "quick-check+offline-target"
    assert "ransomware-targets" not in {f["kind"] for f in details["faults"]}, "the injector never saw the mirror"
    assert offline["target_damage_by"] == "propagation" and offline["data_lost_for_good"] is True
    assert offline["protect_failures"] == 0
    online, details = run("mirror-sync", load_scenario("ransomware"))
    assert online["variant"] == "quick-check" and online["target_damage_by"] == "attack"
    assert "ransomware-targets" in {f["kind"] for f in details["faults"]}


def _simulated(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    assert CLOCK.start <= when <= CLOCK.at(24 * 7), f"{text} is not on the simulated clock"
    return when


MORNING_DELETION = scenario("deletion", [("deletion", "day 0 10:00", {"count": 3})], "day 0 12:00")


def test_a_continuous_mirror_records_its_hours_on_the_simulated_clock_and_its_work_counts(run) -> None:
    row, details = run("mirror-continuous", MORNING_DELETION)
    runs = details["protect_runs"]
    assert row["protect_runs"] == len(runs) > 0 and row["protect_s"] > 0, "the watcher's syncs are its runs"
    assert [_simulated(r["time"]) for r in runs] == sorted({_simulated(r["time"]) for r in runs}), "one per hour"
    assert {h["hour"] for h in details["history"]} <= {_simulated(r["time"]).hour for r in runs}
    assert _simulated(row["restore_point_time"]) <= CLOCK.at(MORNING_DELETION.detect_hour)
    assert row["target_damage_by"] == "propagation" and row["data_lost_for_good"] is True


BAD_SECTORS = scenario("bad-sectors", [("bad-sectors", "day 1 04:00", {"count": 64, "where": "files"})],
                       "day 1 04:00", disk_failing=True)


def test_raid1_is_stamped_every_hour_and_a_failing_half_is_rebuilt_from_the_other(run) -> None:
    row, details = run("raid1", BAD_SECTORS)
    struck = next(f for f in details["faults"] if f["kind"] == "bad-sectors")
    assert struck["files"] and struck["details"]["half"] == "raid1-a.img"
    assert [h["hour"] for h in details["history"]] == list(range(BAD_SECTORS.fault_hour + 1))
    assert row["protect_runs"] == 0 and row["protect_s"] == 0
    assert row["recovery_level"] == "disk" and "swapped it in" in details["recovery"]["actions"][-1]
    assert _simulated(row["restore_point_time"]) == CLOCK.at(BAD_SECTORS.detect_hour)
    assert row["files_corrupted"] == row["files_missing"] == 0 and row["rpo_hours"] == 0


def test_raid1_runs_degraded_without_a_half_whose_superblock_is_damaged(run) -> None:
    row, details = run("raid1", scenario("superblock", [("superblock", "day 1 12:00", {})], "day 1 12:00"))
    assert row["damage_detected"] is True and row["files_missing"] == row["files_corrupted"] == 0
    assert row["target_damage_by"] == "none", "the raw damage stayed on half A"


def test_a_two_way_sync_keeps_both_versions_a_one_way_mirror_loses_the_other_machines(run) -> None:
    conflict = load_scenario("two-way-conflict")
    two_way, _ = run("mirror-two-way", conflict)
    assert two_way["conflicts"] == 3 and two_way["versions_lost"] == 0
    one_way, details = run("mirror-sync", conflict)
    edited = next(f for f in details["faults"] if f["kind"] == "conflicting-edits")
    assert {v["side"] for v in edited["details"]["versions"]} == {"source", "copy"}
    assert one_way["conflicts"] == 0 and one_way["versions_lost"] == 3, "the sync wrote over the copy's edits"
