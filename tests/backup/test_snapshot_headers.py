"""Finding 'latest', picking an incremental's base and retention read snapshot headers, not trees:
their cost must not grow with the trees of every snapshot in the repository."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.backup.conftest import DAY0, churn_small_tree
from workbench.strategies.backup import BackupStrategy
from workbench.strategies.backup import repo as repo_mod
from workbench.strategies.backup.repo import Repository


def _snapshots(strategy: BackupStrategy, tree: Path, repo: Path, count: int) -> list[str]:
    ids = []
    for day in range(count):
        if day:
            churn_small_tree(tree, day)
        ids.append(strategy.protect(tree, repo, now=DAY0 + timedelta(days=day)).id)
    return ids


def test_an_incremental_parses_only_its_base_tree(small_tree: Path, workspace: Path, strategy: BackupStrategy,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    repo = workspace / "repo"
    ids = _snapshots(strategy, small_tree, repo, 4)
    parsed: list[str] = []
    real = Repository.read_snapshot
    monkeypatch.setattr(Repository, "read_snapshot",
                        lambda self, snap_id: parsed.append(snap_id) or real(self, snap_id))
    churn_small_tree(small_tree, 4)
    point = strategy.protect(small_tree, repo, now=DAY0 + timedelta(days=4))
    assert parsed == [ids[-1]], "only the base snapshot's tree is parsed"
    assert point.parent == ids[-1]
    parsed.clear()
    strategy.restore(repo, "latest", workspace / "out")
    assert parsed == [point.id], "finding 'latest' parses no tree but the one restored"


def test_a_header_is_the_snapshot_without_its_tree(small_tree: Path, workspace: Path,
                                                   strategy: BackupStrategy) -> None:
    repo = workspace / "repo"
    (snap_id,) = _snapshots(strategy, small_tree, repo, 1)
    whole = Repository.open(repo).read_snapshot(snap_id)
    header = Repository.open(repo).read_header(snap_id)
    assert header == {k: v for k, v in whole.items() if k != "tree"}
    assert header["kind"] == "full" and header["stats"]["files"] > 0


def test_a_header_longer_than_the_peek_is_read_from_the_whole_snapshot(
        small_tree: Path, workspace: Path, strategy: BackupStrategy, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = workspace / "repo"
    (snap_id,) = _snapshots(strategy, small_tree, repo, 1)
    monkeypatch.setattr(repo_mod, "HEADER_PEEK", 8)
    parsed: list[str] = []
    real = Repository.read_snapshot
    monkeypatch.setattr(Repository, "read_snapshot",
                        lambda self, snap_id: parsed.append(snap_id) or real(self, snap_id))
    header = Repository.open(repo).read_header(snap_id)
    assert parsed == [snap_id], "the whole snapshot was not read"
    assert "tree" not in header and header["time"] == DAY0.isoformat()
