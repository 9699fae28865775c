"""Backing up a workbench disk's root filesystem (--disk), and restoring back onto a disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.backup.conftest import make_small_tree
from workbench.cli.main import main
from workbench.disk.mounting import mounted
from workbench.truth.judge import compare
from workbench.truth.manifest import take_manifest


@pytest.mark.root
def test_disk_folders_backup_and_restore_onto_a_fresh_disk(system_disk: Path, workspace: Path) -> None:
    with mounted(system_disk, "root") as root:
        make_small_tree(root / "staging")
        for child in (root / "staging").iterdir():
            shutil.move(str(child), root / child.name)
        (root / "staging").rmdir()
        expected = take_manifest(root, include=["home"])
    assert main(["backup", "protect", "--disk", "system.img", "--folders", "home", "--target", "repo",
                 "--now", "2026-01-05T09:00"]) == 0
    assert main(["backup", "restore", "--target", "repo", "--to", "out"]) == 0
    assert sorted(p.name for p in (workspace / "out").iterdir()) == ["home"]  # only the chosen folder
    assert compare(expected, take_manifest(workspace / "out", include=["home"]), ignore=set()).ok

    from workbench.disk.create import create_disk

    create_disk("fresh.img", "system", 64 << 20)
    assert main(["backup", "restore", "--target", "repo", "--to-disk", "fresh.img"]) == 0
    with mounted(workspace / "fresh.img", "root", readonly=True) as root:
        assert compare(expected, take_manifest(root, include=["home"]), ignore=set()).ok
