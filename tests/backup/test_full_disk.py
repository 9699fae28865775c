"""A full target disk: one clear error, and the repository stays as it was."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from tests.backup.conftest import DAY0
from workbench.cli.main import main
from workbench.disk.mounting import mounted
from workbench.strategies.backup import BackupStrategy
from workbench.strategies.backup.repo import Repository
from workbench.truth.judge import compare
from workbench.truth.manifest import take_manifest


@pytest.mark.root
def test_enospc_leaves_the_repository_consistent(
    small_tree: Path, data_disk: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strategy = BackupStrategy()
    with mounted(data_disk, "data") as point:
        repo = point / "backups"
        manifest = take_manifest(small_tree)
        first = strategy.protect(small_tree, repo, now=DAY0)
        packs_before = sorted(Repository.open(repo).pack_ids())
        (small_tree / "home/bob/video.bin").write_bytes(os.urandom(64 << 20))  # more than the disk holds
        capsys.readouterr()
        code = main(["backup", "protect", "--source", str(small_tree), "--target", str(repo),
                     "--now", (DAY0 + timedelta(days=1)).isoformat()])
        err = capsys.readouterr().err
        assert code == 3
        assert err.count("\n") == 1 and "is full (no space left on device)" in err
        assert [p.id for p in strategy.points(repo)] == [first.id]
        assert sorted(Repository.open(repo).pack_ids()) == packs_before  # this run's packs were removed
        assert not any((repo / "tmp").iterdir())
        assert strategy.verify(repo).ok
        strategy.restore(repo, first.id, workspace / "out")
        assert compare(manifest, workspace / "out", ignore=set()).ok
        (small_tree / "home/bob/video.bin").unlink()
        assert strategy.protect(small_tree, repo, now=DAY0 + timedelta(days=2)).extra["files"] == first.extra["files"]
