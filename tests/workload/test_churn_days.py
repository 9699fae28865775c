"""Churn: deterministic days, hour slices equal whole days, mtimes on the simulated clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workbench.errors import UsageError
from workbench.truth.judge import compare
from workbench.truth.manifest import Manifest, take_manifest
from workbench.workload.churn import churn, plan_day
from workbench.workload.generate import build
from workbench.workload.profile import load_profile

START = datetime(2026, 3, 2, tzinfo=UTC)
SIZE = 6 << 20


def run(tmp_path: Path, name: str, slices: list[tuple[int, range]]) -> tuple[Path, Manifest, list]:
    profile = load_profile("classroom")
    root = tmp_path / name
    root.mkdir()
    build(profile, root, data_size=SIZE, seed=5, start=START)
    records = [churn(profile, root, day=day, hours=hours) for day, hours in slices]
    return root, take_manifest(root), records


def test_day1_then_day2_is_the_same_on_every_run_and_in_hour_slices(tmp_path: Path) -> None:
    _, first, records = run(tmp_path, "a", [(1, range(24)), (2, range(24))])
    _, second, _ = run(tmp_path, "b", [(1, range(24)), (2, range(24))])
    _, sliced, _ = run(tmp_path, "c", [(1, range(0, 11)), (1, range(11, 15)), (1, range(15, 24)), (2, range(24))])
    _, hourly, _ = run(tmp_path, "d", [(1, range(24))] + [(2, range(h, h + 1)) for h in range(24)])
    assert first.entries == second.entries
    assert first.entries == sliced.entries
    assert first.entries == hourly.entries
    day1 = records[0]
    assert day1.created and day1.modified and day1.deleted and day1.renamed
    assert day1.dirs_created and day1.dirs_removed


def test_churn_changes_the_tree_as_recorded(tmp_path: Path) -> None:
    _, before, _ = run(tmp_path, "a", [])
    root, after, records = run(tmp_path, "b", [(1, range(24))])
    record = records[0]
    result = compare(before, after)
    missing = {v.path for v in result.of("missing")}
    unexpected = {v.path for v in result.of("unexpected")}
    corrupted = {v.path for v in result.of("corrupted")}
    # A file made today may also be deleted or renamed today: compare what existed before / exists after.
    deleted = {p for p in record.deleted if p in before.entries}
    renamed_from = {old for old, _ in record.renamed if old in before.entries}
    renamed_to = {new for _, new in record.renamed if new in after.entries}
    created = {p for p in record.created if p in after.entries}
    assert deleted and renamed_from and renamed_to and created
    assert deleted <= missing and renamed_from <= missing
    assert renamed_to <= unexpected and created <= unexpected
    assert {p for p in record.dirs_created if p in after.entries} <= unexpected
    assert {d for d in record.dirs_removed if d in before.entries} <= missing
    assert not any(p.startswith(d + "/") for d in record.dirs_removed for p in after.entries)
    assert {p for p in record.modified if p in before.entries and p in after.entries} <= corrupted


def test_mtimes_follow_the_simulated_clock(tmp_path: Path) -> None:
    profile = load_profile("classroom")
    root, after, records = run(tmp_path, "a", [(3, range(9, 11))])
    record = records[0]
    low = START + timedelta(days=3, hours=9)
    high = START + timedelta(days=3, hours=11)
    touched = record.created + [p for p in record.modified if (root / p).is_file()]
    assert touched
    for path in touched:
        moment = datetime.fromtimestamp(after.entries[path].mtime_ns / 1e9, tz=UTC)
        assert low <= moment < high, path
    hours = {op.hour for op in plan_day(profile, data_size=SIZE, seed=5, start=START, day=3)}
    assert hours <= set(range(*profile.active_hours))  # nothing outside the working hours


def test_going_back_in_time_is_refused(tmp_path: Path) -> None:
    profile = load_profile("classroom")
    root, _, _ = run(tmp_path, "a", [(2, range(0, 12))])
    with pytest.raises(UsageError, match="before the build day"):
        churn(profile, root, day=-1)
    with pytest.raises(UsageError, match="only go forward"):
        churn(profile, root, day=1)
    with pytest.raises(UsageError, match="only go forward"):
        churn(profile, root, day=2, hours=range(8, 14))
    churn(profile, root, day=2, hours=range(12, 24))  # the rest of the day is fine
    with pytest.raises(UsageError, match="built from profile 'classroom'"):
        churn(load_profile("laptop"), root, day=5)


def test_churn_needs_a_built_tree(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="dataset build"):
        churn(load_profile("classroom"), tmp_path, day=1)


@pytest.mark.parametrize("name", ["laptop", "fileserver", "media", "database"])
def test_every_profile_builds_and_churns_at_its_minimum(tmp_path: Path, name: str) -> None:
    profile = load_profile(name)
    root = tmp_path / name
    root.mkdir()
    build(profile, root, data_size=profile.min_data_size(), seed=2)
    before = take_manifest(root)
    record = churn(profile, root, day=1)
    assert record.changed > 0
    assert not compare(before, take_manifest(root)).ok
