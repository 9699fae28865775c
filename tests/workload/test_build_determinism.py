"""Building is deterministic, scales with the data size, and makes every special kind of entry."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import zstandard

from workbench.errors import UsageError
from workbench.truth.manifest import Manifest, take_manifest
from workbench.workload.generate import DEFAULT_START, build
from workbench.workload.plan import plan_build
from workbench.workload.profile import load_profile

SMALL = 6 << 20


def built(tmp_path: Path, name: str, profile: str = "classroom", *, seed: int = 1, size: int = SMALL) -> Manifest:
    root = tmp_path / name
    root.mkdir()
    build(load_profile(profile), root, data_size=size, seed=seed)
    return take_manifest(root)


def test_same_seed_gives_identical_manifests_other_seed_differs(tmp_path: Path) -> None:
    first = built(tmp_path, "a", seed=7)
    second = built(tmp_path, "b", seed=7)
    other = built(tmp_path, "c", seed=8)
    assert first.entries == second.entries
    assert first.digest() == second.digest()
    assert first.digest() != other.digest()
    same_paths = first.entries.keys() & other.entries.keys()
    differing = [p for p in same_paths
                 if first.entries[p].kind == "file" and first.entries[p].hash != other.entries[p].hash]
    assert len(differing) > 10  # not just names: the bytes differ too


def test_group_data_adds_up_to_the_data_size(tmp_path: Path) -> None:
    profile = load_profile("classroom")
    for size in (4 << 20, 64 << 20):
        plan = plan_build(profile, size, 1, DEFAULT_START)
        assert sum(f.size for f in plan.files) + profile.special_bytes() == size
    small, big = plan_build(profile, 4 << 20, 1, DEFAULT_START), plan_build(profile, 64 << 20, 1, DEFAULT_START)
    assert len(big.files) > 4 * len(small.files)  # sizes scale by adding files, same profile


def test_laptop_has_every_special_kind_and_it_survives_a_round_trip(tmp_path: Path) -> None:
    manifest = built(tmp_path, "laptop", "laptop", size=8 << 20)
    entries = list(manifest.entries.values())
    kinds = {
        "symlink": [e for e in entries if e.kind == "symlink"],
        "hard link": [e for e in entries if e.link_group is not None],
        "empty file": [e for e in entries if e.kind == "file" and e.size == 0],
        "empty dir": [e for e in entries
                      if e.kind == "dir" and not any(p.startswith(e.path + "/") for p in manifest.entries)],
        "sparse": [e for e in entries if e.sparse],
        "long name": [e for e in entries if len(e.path.rsplit("/", 1)[-1].encode()) >= 200],
        "non-ASCII name": [e for e in entries if not e.path.isascii()],
        "xattr": [e for e in entries if e.xattrs],
        "fifo": [e for e in entries if e.kind == "other" and stat.S_ISFIFO(e.mode)],
        "setuid": [e for e in entries if e.mode & stat.S_ISUID],
        "sticky dir": [e for e in entries if e.kind == "dir" and e.mode & stat.S_ISVTX],
        "private (0600)": [e for e in entries if e.kind == "file" and e.mode & 0o777 == 0o600],
        "sqlite": [e for e in entries if e.path.endswith(".db")],
    }
    for kind, found in kinds.items():
        assert found, f"laptop has no {kind}"
    assert len({e.mtime_ns for e in entries if e.kind == "file"}) > 100  # mtimes spread, not one stamp
    if os.geteuid() == 0:
        assert {e.uid for e in entries} >= {0, 1000}  # root's OS part, alice's home
    copy = Manifest.from_json(manifest.to_json())
    assert copy.entries == manifest.entries
    path = tmp_path / "m.json"
    manifest.save(path)
    assert Manifest.load(path).entries == manifest.entries


def test_sqlite_database_is_real(tmp_path: Path) -> None:
    import sqlite3

    root = tmp_path / "t"
    root.mkdir()
    build(load_profile("laptop"), root, data_size=8 << 20, seed=1)
    db = root / "home/alice/.local/share/app/library.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] > 100


def test_compressible_and_incompressible_parts(tmp_path: Path) -> None:
    root = tmp_path / "t"
    root.mkdir()
    build(load_profile("laptop"), root, data_size=8 << 20, seed=1)
    compressor = zstandard.ZstdCompressor(level=3)

    def ratio(folder: str) -> float:
        files = {p.stat().st_ino: p for p in sorted((root / folder).rglob("*")) if p.is_file() and not p.is_symlink()}
        data = b"".join(p.read_bytes() for p in files.values())  # each inode once: hard links are not redundancy
        return len(data) / len(compressor.compress(data))

    assert ratio("home/alice/Pictures") < 1.02
    assert ratio("usr/bin") < 1.02
    assert ratio("home/alice/Documents") > 2.5
    assert ratio("home/alice/Projects") > 2.0
    jpeg = next((root / "home/alice/Pictures").rglob("IMG_*.jpg")).read_bytes()
    assert jpeg[:3] == b"\xff\xd8\xff" and jpeg[-2:] == b"\xff\xd9"


def test_build_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    root = tmp_path / "t"
    root.mkdir()
    (root / "something").write_text("x")
    with pytest.raises(UsageError, match="not empty"):
        build(load_profile("classroom"), root, data_size=SMALL)
