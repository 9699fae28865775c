"""Flipped bits inside one stored chunk: verify names the file and the snapshots; restore refuses it."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from tests.backup.conftest import DAY0, churn_small_tree
from workbench.cli.main import main
from workbench.errors import DamageFound
from workbench.strategies.backup import BackupStrategy
from workbench.strategies.backup.repo import Repository


def _two_snapshots(strategy: BackupStrategy, source: Path, repo: Path) -> list[str]:
    first = strategy.protect(source, repo, now=DAY0).id
    churn_small_tree(source, 1)
    second = strategy.protect(source, repo, now=DAY0 + timedelta(days=1)).id
    return [first, second]


def _flip_chunk_of(repo_path: Path, snap_id: str, path: str) -> None:
    repo = Repository.open(repo_path)
    entry = next(e for e in repo.read_snapshot(snap_id)["tree"] if e["path"] == path)
    location = repo.load_index()[bytes.fromhex(entry["chunks"][0])]
    fd = os.open(repo.pack_path(location.pack), os.O_RDWR)
    try:
        at = location.offset + location.length // 2
        byte = os.pread(fd, 1, at)[0]
        os.pwrite(fd, bytes([byte ^ 0x5A]), at)  # XOR: always a change
    finally:
        os.close(fd)


def test_verify_names_file_and_snapshots_and_restore_refuses_only_the_damaged_file(
    small_tree: Path, workspace: Path, strategy: BackupStrategy, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = workspace / "repo"
    snaps = _two_snapshots(strategy, small_tree, repo)
    assert strategy.verify(repo).ok
    # unchanged by churn, so both snapshots use it; photo-copy.jpg is the inode's first name (sorted)
    _flip_chunk_of(repo, snaps[0], "home/alice/photo-copy.jpg")

    report = strategy.verify(repo)
    assert not report.ok
    files = [d for d in report.damage if d.what == "file"]
    assert [d.where for d in files] == ["home/alice/photo-copy.jpg", "home/alice/photo.jpg"]  # both names
    assert all(set(d.affects) == set(snaps) for d in files)
    assert "hash mismatch" in files[0].detail
    chunks = [d for d in report.damage if d.what == "chunk"]
    assert len(chunks) == 1 and set(chunks[0].affects) == set(snaps)

    # metadata-only verify reads no chunk data: it cannot see flipped bits (that is why it is cheap)
    assert strategy.verify(repo, metadata_only=True).ok

    strategy.restore(repo, snaps[1], workspace / "shadow", path="etc/shadow")
    assert (workspace / "shadow/etc/shadow").read_text() == (small_tree / "etc/shadow").read_text()
    with pytest.raises(DamageFound, match="home/alice/photo.jpg"):
        strategy.restore(repo, snaps[1], workspace / "photo", path="home/alice/photo.jpg")
    assert not (workspace / "photo/home/alice/photo.jpg").exists()  # never written with wrong bytes

    with pytest.raises(DamageFound, match="photo.jpg"):
        strategy.restore(repo, snaps[1], workspace / "all")
    assert (workspace / "all/home/bob/big.db").read_bytes() == (small_tree / "home/bob/big.db").read_bytes()
    assert not (workspace / "all/home/alice/photo.jpg").exists()
    assert not (workspace / "all/home/alice/photo-copy.jpg").exists()  # the other name shares the damage

    capsys.readouterr()
    assert main(["backup", "verify", "--target", str(repo)]) == 1
    err = capsys.readouterr()
    assert "home/alice/photo.jpg" in err.out and snaps[0] in err.out and snaps[1] in err.out
    assert err.err.count("\n") == 1


def test_metadata_only_verify_finds_a_truncated_pack(small_tree: Path, workspace: Path,
                                                     strategy: BackupStrategy) -> None:
    repo = workspace / "repo"
    snaps = _two_snapshots(strategy, small_tree, repo)
    opened = Repository.open(repo)
    location = opened.load_index()[bytes.fromhex(
        next(e for e in opened.read_snapshot(snaps[1])["tree"] if e["path"] == "home/bob/big.db")["chunks"][-1]
    )]
    os.truncate(opened.pack_path(location.pack), location.offset + 10)
    report = strategy.verify(repo, metadata_only=True)
    assert not report.ok
    assert "home/bob/big.db" in {d.where for d in report.damage if d.what == "file"}
    assert any("truncated" in d.detail for d in report.damage)


def test_a_damaged_snapshot_file_is_named(small_tree: Path, workspace: Path, strategy: BackupStrategy) -> None:
    repo = workspace / "repo"
    snaps = _two_snapshots(strategy, small_tree, repo)
    path = repo / "snapshots" / snaps[0]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = strategy.verify(repo, metadata_only=True)
    assert [d.where for d in report.damage if d.what == "point"] == [snaps[0]]
    strategy.restore(repo, snaps[1], workspace / "out")  # the other snapshot is untouched
