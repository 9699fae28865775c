"""Mirrors of generated workloads (the laptop profile has every special kind of entry), judged by the manifest."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from workbench.strategies.mirror import make, record
from workbench.truth.judge import compare
from workbench.truth.manifest import take_manifest
from workbench.workload.churn import churn
from workbench.workload.generate import build
from workbench.workload.profile import load_profile

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _built(root: Path, profile: str, size: int) -> Path:
    root.mkdir()
    build(load_profile(profile), root, data_size=size, seed=3)
    return root


def _mirror(target: Path):
    return take_manifest(target, exclude=list(record.NAMES))


def test_laptop_mirror_is_exact_through_churn_and_restore(workspace: Path) -> None:
    src = _built(workspace / "src", "laptop", 16 << 20)
    for checksum in (False, True):
        strategy = make("sync", checksum=checksum)
        target = workspace / f"mirror-{checksum}"
        strategy.protect(src, target, now=NOW)
        # strict: sparse, links, xattrs, dir mtimes
        verdict = compare(take_manifest(src), _mirror(target), ignore=set())
        assert verdict.ok, verdict.counts()
    changed = churn(load_profile("laptop"), src, day=1)
    assert changed.changed > 0
    strategy = make("sync")
    result = strategy.protect(src, workspace / "mirror-False", now=NOW)
    assert result.extra["bytes_copied"] < result.extra["bytes"] / 2  # incremental, not a full copy
    assert compare(take_manifest(src), _mirror(workspace / "mirror-False"), ignore=set()).ok
    strategy.restore(workspace / "mirror-False", "now", workspace / "restored")
    assert compare(take_manifest(src), take_manifest(workspace / "restored"), ignore=set()).ok


def test_classroom_folder_deleted_on_the_source_leaves_the_mirror(workspace: Path) -> None:
    src = _built(workspace / "src", "classroom", 6 << 20)
    strategy = make("sync")
    strategy.protect(src, workspace / "mirror", now=NOW)
    folder = max((p for p in src.rglob("*") if p.is_dir()), key=lambda p: sum(1 for _ in p.rglob("*")))
    relative = folder.relative_to(src)
    shutil.rmtree(folder)
    result = strategy.protect(src, workspace / "mirror", now=NOW)
    assert result.extra["deleted"] >= 1
    assert not (workspace / "mirror" / relative).exists()
    assert compare(take_manifest(src), _mirror(workspace / "mirror"), ignore=set()).ok


def test_two_way_keeps_a_churned_laptop_in_step(workspace: Path) -> None:
    src = _built(workspace / "src", "laptop", 16 << 20)
    strategy = make("two-way")
    strategy.protect(src, workspace / "other", now=NOW)
    churn(load_profile("laptop"), src, day=1)
    point = strategy.protect(src, workspace / "other", now=NOW)
    assert point.extra["conflicts"] == [] and point.extra["to_target"] > 0
    # two-way, like Unison, keeps neither hard links as links nor folder mtimes
    verdict = compare(take_manifest(src), _mirror(workspace / "other"))
    assert {v.detail for v in verdict.verdicts if v.category != "intact"} <= {"hard links differ"}, verdict.counts()
