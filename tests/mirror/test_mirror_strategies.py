"""The mirror modes behind the Strategy protocol, judged against ground-truth manifests."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench.disk import targets
from workbench.disk.table import read_table
from workbench.errors import UsageError
from workbench.strategies.mirror import make, record
from workbench.truth.judge import compare
from workbench.truth.manifest import take_manifest

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _source(root: Path) -> Path:
    (root / "home" / "docs").mkdir(parents=True)
    (root / "home" / "docs" / "report.txt").write_text("quarterly numbers\n" * 50)
    (root / "home" / "photo.jpg").write_bytes(os.urandom(200_000))
    os.symlink("docs/report.txt", root / "home" / "latest")
    return root


def _mirror_manifest(target: Path):
    return take_manifest(target, exclude=list(record.NAMES))


@pytest.mark.parametrize("mode,checksum", [("sync", False), ("sync", True), ("continuous", False), ("two-way", False)])
def test_protect_points_restore_round_trip(workspace: Path, mode: str, checksum: bool) -> None:
    src = _source(workspace / "src")
    strategy = make(mode, checksum=checksum)
    point = strategy.protect(src, workspace / "mirror", now=NOW)
    assert point.id == "now"
    strict = set() if mode != "two-way" else {"dir_mtime"}  # two-way, like Unison, leaves folder mtimes be
    assert compare(take_manifest(src), _mirror_manifest(workspace / "mirror"), ignore=strict).ok
    [only] = strategy.points(workspace / "mirror")
    assert only.id == "now"
    report = strategy.restore(workspace / "mirror", "now", workspace / "back")
    assert report.files == 2
    assert compare(take_manifest(src), take_manifest(workspace / "back")).ok
    assert strategy.verify(workspace / "mirror").ok
    assert strategy.footprint(workspace / "mirror") >= 200_000
    with pytest.raises(UsageError, match="one restore point"):
        strategy.restore(workspace / "mirror", "yesterday", workspace / "elsewhere")


def test_checksum_verify_names_the_damaged_file(workspace: Path) -> None:
    src = _source(workspace / "src")
    strategy = make("sync", checksum=True)
    strategy.protect(src, workspace / "mirror", now=NOW)
    victim = workspace / "mirror" / "home" / "photo.jpg"
    data = bytearray(victim.read_bytes())
    data[4096] ^= 0x01
    victim.write_bytes(bytes(data))
    report = strategy.verify(workspace / "mirror")
    assert [(d.what, d.where) for d in report.damage] == [("file", "home/photo.jpg")]
    assert report.checked == 2


def test_a_mirror_has_nothing_before_the_first_sync(workspace: Path) -> None:
    (workspace / "empty").mkdir()
    assert make("sync").points(workspace / "empty") == []
    with pytest.raises(UsageError, match="not a mirror"):
        make("sync").verify(workspace / "empty")
    with pytest.raises(UsageError, match="unknown mirror mode"):
        make("three-way")


@pytest.mark.root
def test_a_folder_deleted_on_the_source_is_really_gone_from_the_mirror_disk(workspace: Path, data_disk: Path) -> None:
    src = _source(workspace / "src")
    marker = b"WB-MIRROR-DELETED-FOLDER-4b9e"
    (src / "home" / "old").mkdir()
    (src / "home" / "old" / "letter.txt").write_bytes(marker * 400)
    strategy = make("sync")
    with targets.opened("data.img:/mirror") as target:
        strategy.protect(src, target, now=NOW)
        assert (target / "home" / "old" / "letter.txt").exists()
    shutil.rmtree(src / "home" / "old")
    with targets.opened("data.img:/mirror") as target:
        strategy.protect(src, target, now=NOW)
        assert compare(take_manifest(src), _mirror_manifest(target)).ok
        subprocess.run(["fstrim", str(target.parent)], check=True)  # hand freed blocks back to the image file
    offset = read_table(data_disk).by_role("data").start_bytes
    listing = subprocess.run(["debugfs", "-R", "ls -l /mirror/home", f"{data_disk}?offset={offset}"],
                             capture_output=True, text=True, check=True).stdout
    assert "photo.jpg" in listing and " old" not in listing  # the filesystem has no such folder any more
    assert marker not in data_disk.read_bytes()  # and its bytes are not anywhere on the disk
