"""Keep rules are a pure function of snapshot times."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from workbench.errors import UsageError
from workbench.strategies.backup import KeepPolicy, plan_retention

MONDAY = datetime(2026, 1, 5, 9, 0)


def _points(times: list[datetime]) -> list[tuple[str, datetime]]:
    return [(f"s{n:02d}", t) for n, t in enumerate(times)]


def test_keep_last_keeps_the_newest() -> None:
    points = _points([MONDAY + timedelta(hours=h) for h in range(5)])
    plan = plan_retention(points, KeepPolicy(last=2))
    assert sorted(plan.keep) == ["s03", "s04"]
    assert plan.forget == ["s00", "s01", "s02"]  # oldest first


def test_keep_daily_keeps_the_newest_of_each_recent_day() -> None:
    times = [MONDAY + timedelta(days=d, hours=h) for d in range(4) for h in (0, 6)]  # two a day
    plan = plan_retention(_points(times), KeepPolicy(daily=3))
    # days 1-3, the later snapshot of each
    assert sorted(plan.keep) == ["s03", "s05", "s07"]
    assert all(reason.startswith("daily 2026-01-0") for reasons in plan.keep.values() for reason in reasons)


def test_keep_weekly_uses_iso_weeks_and_rules_combine() -> None:
    times = [MONDAY + timedelta(days=d) for d in range(0, 21, 2)]  # every other day for three weeks
    points = _points(times)
    plan = plan_retention(points, KeepPolicy(last=1, weekly=3))
    weeks = {t.isocalendar()[:2] for _, t in points}
    assert len(weeks) == 3
    kept_times = [t for i, t in points if i in plan.keep]
    assert {t.isocalendar()[:2] for t in kept_times} == weeks
    for week in weeks:  # the kept one is the newest of its week
        newest = max(t for _, t in points if t.isocalendar()[:2] == week)
        assert newest in kept_times
    assert plan.keep[points[-1][0]] == ["last", "weekly 2026-W04"]
    assert len(plan.keep) + len(plan.forget) == len(points)


def test_more_buckets_than_snapshots_keeps_all_and_empty_policy_is_refused() -> None:
    points = _points([MONDAY, MONDAY + timedelta(days=1)])
    assert plan_retention(points, KeepPolicy(daily=7)).forget == []
    with pytest.raises(UsageError, match="no keep rule"):
        plan_retention(points, KeepPolicy())
    with pytest.raises(UsageError):
        KeepPolicy(last=-1)
