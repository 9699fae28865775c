"""Manifests of real trees: kinds, links, xattrs, scope, and a JSON round trip (no root needed)."""

from __future__ import annotations

import os
from pathlib import Path

import blake3
import pytest

from workbench.errors import UsageError
from workbench.truth.judge import compare
from workbench.truth.manifest import Manifest, take_manifest


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "home/ann/docs").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "lost+found").mkdir()
    (root / "lost+found/junk").write_bytes(b"x")
    (root / "home/ann/docs/a.txt").write_bytes(b"hello")
    big = os.urandom(20 << 20)  # over the mmap threshold
    (root / "home/ann/big.bin").write_bytes(big)
    os.link(root / "home/ann/docs/a.txt", root / "home/ann/docs/a-link.txt")
    os.symlink("/etc/passwd", root / "home/ann/outside")  # must not be followed
    os.symlink("docs", root / "home/ann/docs-link")
    (root / "etc/empty").touch()
    os.mkfifo(root / "etc/fifo")
    os.setxattr(root / "etc/empty", "user.note", b"\x00\xff")
    with open(root / "etc/sparse", "wb") as handle:
        handle.truncate(8 << 20)
        handle.write(b"head")
    return root


def test_entries_kinds_and_hashes(tree: Path) -> None:
    m = take_manifest(tree)
    e = m.entries
    assert "lost+found" not in e and "lost+found/junk" not in e
    assert e["home/ann/docs/a.txt"].hash == blake3.blake3(b"hello").hexdigest()
    assert e["home/ann/big.bin"].hash == blake3.blake3((tree / "home/ann/big.bin").read_bytes()).hexdigest()
    assert e["home/ann/outside"].kind == "symlink" and e["home/ann/outside"].target == "/etc/passwd"
    assert e["home/ann/outside"].hash is None
    assert e["home/ann/docs-link"].kind == "symlink"
    assert not any(p.startswith("home/ann/docs-link/") for p in e)
    assert e["etc/fifo"].kind == "other"
    assert e["etc/empty"].xattrs == {"user.note": "00ff"}
    assert e["etc/sparse"].sparse and not e["home/ann/big.bin"].sparse
    group = e["home/ann/docs/a.txt"].link_group
    assert group is not None and e["home/ann/docs/a-link.txt"].link_group == group
    assert m.total_bytes() == 5 + 5 + (20 << 20) + (8 << 20)


def test_round_trip_and_scope(tree: Path, tmp_path: Path) -> None:
    m = take_manifest(tree)
    path = tmp_path / "m.json"
    m.save(path)
    again = Manifest.load(path)
    assert again.entries == m.entries and again.digest() == m.digest()
    home = take_manifest(tree, include=["home"])
    assert set(home.entries) == {p for p in m.entries if p == "home" or p.startswith("home/")}
    assert home.include == ["home"]
    assert Manifest.load(path).include is None
    without = take_manifest(tree, exclude=["home/ann/docs", "*.bin"])
    assert not any(p.startswith("home/ann/docs/") or p.endswith(".bin") for p in without.entries)


def test_comparing_against_a_path_takes_its_manifest(tree: Path) -> None:
    m = take_manifest(tree)
    (tree / "etc/empty").write_bytes(b"!")
    result = compare(m, tree)
    assert result.counts()["corrupted"] == 1


def test_bad_manifest_files_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        Manifest.load(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(UsageError, match="bad JSON"):
        Manifest.load(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"format": "something"}')
    with pytest.raises(UsageError, match="not a workbench manifest"):
        Manifest.load(tmp_path / "other.json")
