"""Columns that describe how a cell ran: what a watcher measured, and where the targets were."""

from __future__ import annotations

import math

import pytest
from cellkit import scenario

pytestmark = [pytest.mark.root]

# The classroom's users work from 08:00: two hours of changes, then a few files deleted.
MORNING_DELETION = scenario("deletion", [("deletion", "day 0 10:00", {"count": 3})], "day 0 10:00")


def test_a_continuous_mirror_reports_what_it_watched_and_how_long_changes_took(run) -> None:
    row, details = run("mirror-continuous", MORNING_DELETION)
    assert row["watch_events"] > 0 and row["watch_events"] == sum(s["events_total"] for s in details["watch"])
    assert row["watch_errors"] == 0
    for column in ("propagation_delay_median_s", "propagation_delay_max_s"):
        assert math.isfinite(row[column]) and row[column] >= 0, column
    assert row["propagation_delay_median_s"] <= row["propagation_delay_max_s"]


def _ransomware(online: bool):
    # Struck at 03:00, after the 01:00 backup: the only question is whether the repository was within reach.
    return scenario("ransomware", [("ransomware", "day 0 03:00", {"fraction": 0.5})], "day 0 03:00",
                    targets="online" if online else "offline")


def test_a_backup_kept_online_is_encrypted_with_the_disk(run) -> None:
    offline, _ = run("backup", _ransomware(False), schedules={"backup": "daily@01"})
    online, details = run("backup", _ransomware(True), schedules={"backup": "daily@01"})
    assert (offline["variant"], online["variant"]) == ("", "online-target")
    assert offline["came_back_clean"] is True and offline["files_corrupted"] == 0
    assert offline["restore_point_time"] and offline["files_restored"] > 0
    assert "ransomware-targets" in [f["kind"] for f in details["faults"]], "the ransomware walked the repository"
    assert online["damage_detected"] is True, "the repository no longer opens"
    assert online["restore_point_time"] == "" and online["files_restored"] == 0
    assert online["came_back_clean"] is False and online["files_missing"] > 0
