"""Damage in a stored image: verify names the chunk, restore refuses, rescue reports holes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from image_helpers import MiB, churn, fill, flip

from workbench.disk.create import create_disk
from workbench.disk.table import read_table
from workbench.errors import DamageFound
from workbench.strategies.image import ImageStrategy
from workbench.strategies.image import format as fmt
from workbench.strategies.image.store import load_all

pytestmark = pytest.mark.root
NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


@pytest.fixture
def imaged(workspace: Path) -> tuple[Path, Path]:
    disk = create_disk("pc.img", "system", 96 * MiB)
    fill(disk, random_mib=8)
    target = workspace / "images"
    ImageStrategy().protect(disk, target, now=NOW)
    return disk, target


def _a_root_chunk(target: Path) -> tuple[Path, int, fmt.ChunkEntry]:
    """The point file, index and entry of a stored chunk inside the root partition."""
    point = load_all(target)[0][-1]
    root = next(p for p in point.header["table"]["partitions"] if p["role"] == "root")
    for index, entry in enumerate(point.entries):
        if entry.kind == fmt.DATA and index * point.header["chunk_size"] >= root["start"] + 4 * MiB:
            return point.path, index, entry
    raise AssertionError("no stored chunk in the root partition")


def test_flipped_bits_are_named_and_restore_refuses_unless_rescue(imaged, workspace: Path):
    disk, target = imaged
    strategy = ImageStrategy()
    assert strategy.verify(target).ok
    path, index, entry = _a_root_chunk(target)
    flip(path, entry.offset + entry.stored_len // 2)

    report = strategy.verify(target)
    assert len(report.damage) == 1
    damage = report.damage[0]
    assert damage.what == "chunk" and damage.where.endswith(f"chunk {index}")
    start = index * MiB
    assert f"disk bytes {start}-{start + MiB}" in damage.detail
    assert "partition 2 root" in damage.detail

    with pytest.raises(DamageFound, match=f"chunk {index}"):
        strategy.restore(target, "latest", workspace / "strict.img")
    rescued = strategy.restore(target, "latest", workspace / "rescued.img", rescue=True)
    assert len(rescued.holes) == 1 and f"chunk {index}" in rescued.holes[0]
    assert read_table(workspace / "rescued.img").entries() == read_table(disk).entries()
    with open(workspace / "rescued.img", "rb") as handle:
        handle.seek(start)
        assert handle.read(MiB) == bytes(MiB)  # the hole is a hole, not garbage


def test_damage_in_a_parent_is_reported_for_its_dependants(imaged, workspace: Path):
    disk, target = imaged
    strategy = ImageStrategy()
    churn(disk, seed=5)
    child = strategy.protect(disk, target, now=NOW + timedelta(hours=1))
    points, _ = load_all(target)
    parent = points[0]
    # pick a chunk the child took unchanged from its parent
    index = next(i for i, e in enumerate(points[1].entries) if e.kind == fmt.PARENT and i > 4)
    entry = parent.entries[index]
    flip(parent.path, entry.offset + 7)
    damage = strategy.verify(target).damage
    assert len(damage) == 1
    assert child.id in damage[0].affects and parent.id in damage[0].affects
    with pytest.raises(DamageFound):
        strategy.restore(target, child.id, workspace / "child.img")


def test_truncated_point_is_recognised(imaged, workspace: Path):
    disk, target = imaged
    path = load_all(target)[0][-1].path
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size - 10)
    assert ImageStrategy().points(target) == []
    damage = ImageStrategy().verify(target).damage
    assert damage and damage[0].what == "point" and "truncated" in damage[0].detail
