"""Incremental chains: each point restores exactly; 1 % churn stores little; retention keeps chains whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from image_helpers import churn, manifest, same_files

from workbench.disk import health
from workbench.errors import UsageError
from workbench.strategies.image import ImageStrategy

pytestmark = pytest.mark.root
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def test_every_point_of_a_chain_restores_exactly(disk: Path, workspace: Path):
    strategy = ImageStrategy()
    target = workspace / "images"
    points, manifests = [], []
    for day in range(3):
        if day:
            churn(disk, seed=day)
        manifests.append(manifest(disk))
        points.append(strategy.protect(disk, target, now=T0 + timedelta(days=day)))
    assert [p.kind for p in points] == ["full", "incremental", "incremental"]
    assert [p.parent for p in points] == [None, points[0].id, points[1].id]
    listed = strategy.points(target)
    assert [p.id for p in listed] == [p.id for p in points]
    assert [p.time for p in listed] == [T0 + timedelta(days=d) for d in range(3)]
    for point, expected in zip(points, manifests):
        restored = workspace / f"restored-{point.id}.img"
        strategy.restore(target, point.id, restored)
        assert health.check(restored).ok
        assert same_files(expected, restored)
    assert not same_files(manifests[0], workspace / f"restored-{points[2].id}.img")  # the churn is real


def test_one_percent_churn_stores_under_ten_percent(disk: Path, workspace: Path):
    strategy = ImageStrategy()
    full = strategy.protect(disk, workspace / "images", now=T0)
    churn(disk, kib=250)  # about 1 % of the ~28 MiB used
    incremental = strategy.protect(disk, workspace / "images", now=T0 + timedelta(hours=1))
    assert incremental.kind == "incremental"
    assert incremental.extra["chunks_unchanged"] > 0
    assert incremental.extra["bytes_stored"] < 0.10 * full.extra["bytes_stored"]
    assert incremental.stored_bytes < 0.10 * full.stored_bytes


def test_retention_never_deletes_a_needed_parent(disk: Path, workspace: Path):
    strategy = ImageStrategy()
    target = workspace / "images"
    first = strategy.protect(disk, target, now=T0)
    churn(disk, seed=1)
    second = strategy.protect(disk, target, now=T0 + timedelta(days=1))
    third = strategy.protect(disk, target, now=T0 + timedelta(days=2), full=True)
    with pytest.raises(UsageError, match="parent"):
        strategy.forget(target, first.id)
    deleted, held = strategy.keep_last(target, 2)
    assert deleted == [] and held == [first.id]  # the second point still needs the first
    deleted, held = strategy.keep_last(target, 1)
    assert deleted == [first.id, second.id] and held == []
    assert [p.id for p in strategy.points(target)] == [third.id]
    assert strategy.verify(target).ok
