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
