"""restic and borg under target corruption: bits flipped inside one data pack or segment.

The engine's verify must report the damage and name the snapshot or archive it takes from, and
that one only; the test checks the name with the tool itself (``restic find --pack``; for borg,
``borg debug dump-archive`` lists the damaged chunk and ``borg check`` places it in the flipped
segment). On an untouched repository verify reports nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench.faults.target import corrupt_target
from workbench.strategies.external import borg, restic

pytestmark = [pytest.mark.root, pytest.mark.slow]

DAY_1 = datetime(2026, 1, 5, 2, tzinfo=UTC)
DAY_2 = datetime(2026, 1, 6, 2, tzinfo=UTC)


def two_points(engine, workspace: Path) -> tuple[Path, Path, str, str, set[Path]]:
    """(source, repository, first point, second point, the data files the second run added)."""
    source, target = workspace / "source", workspace / "repo"
    (source / "home" / "alice").mkdir(parents=True)
    (source / "home" / "alice" / "first.bin").write_bytes(os.urandom(300_000))
    first = engine.protect(source, target, now=DAY_1)
    before = set(_files(engine.data_paths(target)))
    (source / "home" / "alice" / "second.bin").write_bytes(os.urandom(300_000))
    second = engine.protect(source, target, now=DAY_2)
    added = set(_files(engine.data_paths(target))) - before
    return source, target, first.id, second.id, added


def _files(paths: list[Path]) -> list[Path]:
    return [p for top in paths for p in top.rglob("*") if p.is_file()]


def _flip_in(pack: Path) -> None:
    record = corrupt_target([pack], seed=3, count=8)
    assert {Path(flip.path) for flip in record.bits} == {pack}


def test_restic_names_the_snapshot_that_holds_the_damaged_pack(workspace: Path) -> None:
    engine = restic.make(folders=("home",), state=workspace / "state")
    _source, target, first, second, added = two_points(engine, workspace)
    assert engine.verify(target).ok, "an untouched repository verifies clean"
    pack = max(added, key=lambda p: p.stat().st_size)  # the second run's data pack (its tree pack is small)
    _flip_in(pack)

    report = engine.verify(target)
    assert [d.what for d in report.damage] == ["pack"]
    damage = report.damage[0]
    assert damage.where == f"data/{pack.parent.name}/{pack.name}"
    assert damage.affects == (second,), "only the second snapshot holds a blob of that pack"
    found = subprocess.run(["restic", "--repo", str(target), "--no-cache", "find", "--pack", pack.name, "--json"],
                           capture_output=True, check=True, env={**os.environ, **engine._env()}).stdout
    holders = {entry["snapshot"] for entry in json.loads(found)}
    assert holders == {second} and first not in holders


def test_borg_names_the_archive_whose_chunk_lies_in_the_damaged_segment(workspace: Path) -> None:
    engine = borg.make("repokey", folders=("home",), state=workspace / "state")
    _source, target, first, second, added = two_points(engine, workspace)
    assert engine.verify(target).ok, "an untouched repository verifies clean"
    segment = max(added, key=lambda p: p.stat().st_size)  # the second run's segment holds second.bin's chunk
    _flip_in(segment)

    report = engine.verify(target)
    chunks = [d for d in report.damage if d.what == "chunk"]
    assert chunks and all(d.affects == (second,) for d in chunks), report.damage
    assert any(d.where.startswith(f"data/0/{segment.name} ") for d in report.damage if d.what == "segment")
    assert all(f"[segment {segment.name}," in d.detail for d in chunks), "the chunk lies in the flipped segment"
    env = {**os.environ, **engine._env()}

    def used_by(archive: str) -> str:
        return subprocess.run(["borg", "debug", "dump-archive", f"{target}::{archive}", "-"], capture_output=True,
                              check=True, env=env).stdout.decode()

    assert all(d.where in used_by(second) and d.where not in used_by(first) for d in chunks)
