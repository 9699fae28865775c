"""Acceptance: four days of the classroom workload, each snapshot restored and judged exactly."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.backup.conftest import DAY0
from workbench.strategies.backup import BackupStrategy
from workbench.strategies.backup.repo import footprint
from workbench.truth.judge import compare
from workbench.truth.manifest import take_manifest
from workbench.workload.churn import churn
from workbench.workload.generate import build
from workbench.workload.profile import load_profile

MODES = ["full", "incremental", "differential", "incremental"]


@pytest.fixture(scope="module")
def four_days(tmp_path_factory: pytest.TempPathFactory):
    """Built once per module: the tests only read the repository (restores go to fresh folders)."""
    profile = load_profile("classroom")
    workspace = tmp_path_factory.mktemp("days")
    source = workspace / "src"
    source.mkdir()
    build(profile, source)
    repo = workspace / "repo"
    manifests, points = [], []
    for day, mode in enumerate(MODES):
        if day:
            churn(profile, source, day=day)
        manifests.append(take_manifest(source))
        points.append(BackupStrategy(mode).protect(source, repo, now=DAY0 + timedelta(days=day)))
    return source, repo, manifests, points


def test_each_day_restores_exactly_and_dedup_keeps_the_repository_small(four_days, tmp_path: Path) -> None:
    source, repo, manifests, points = four_days
    strategy = BackupStrategy()
    listed = strategy.points(repo)
    assert [p.id for p in listed] == [p.id for p in points]
    assert [p.kind for p in listed] == MODES
    assert points[2].parent == points[0].id  # the differential compares with the last full
    assert points[3].parent == points[2].id
    # incrementals read only what changed; the full read everything
    assert points[1].extra["changed_files"] < points[0].extra["changed_files"] / 5
    for day, (point, manifest) in enumerate(zip(points, manifests)):
        out = tmp_path / f"restored-day{day}"
        strategy.restore(repo, point.id, out)
        verdict = compare(manifest, out, ignore=set())  # strict: folder mtimes, sparseness, links too
        assert verdict.ok, [(v.path, v.category, v.detail) for v in verdict.verdicts if v.category != "intact"][:5]
        assert manifests[day].digest() != manifests[day - 1].digest() or day == 0  # churn really happened
    one_copy = footprint(source)
    assert footprint(repo) < 0.5 * 4 * one_copy  # "much smaller than 4 full copies", real allocated bytes
    assert strategy.verify(repo).ok


def test_one_file_and_one_folder_restore_at_their_paths(four_days, tmp_path: Path) -> None:
    source, repo, manifests, points = four_days
    strategy = BackupStrategy()
    day0 = manifests[0]
    some_file = next(e.path for e in day0.files() if e.path.startswith("home/alice/Documents/"))
    strategy.restore(repo, points[0].id, tmp_path / "one", path=some_file)
    restored = take_manifest(tmp_path / "one")
    assert set(restored.entries) == {"home", "home/alice", "home/alice/Documents", some_file}
    assert restored.entries[some_file].hash == day0.entries[some_file].hash
    strategy.restore(repo, points[0].id, tmp_path / "folder", path="etc")
    folder_paths = {p for p in day0.entries if p == "etc" or p.startswith("etc/")}
    got = take_manifest(tmp_path / "folder").entries
    assert set(got) == folder_paths
    assert all(got[p].hash == day0.entries[p].hash for p in folder_paths)
