"""Repository format 1 (the gear64 chunker) still opens, restores byte-exact and takes new snapshots.

The fixture ``fixtures/repo-v1`` was written by ``fixtures/make_old_repository.py`` run with
the code of commit ``WRITTEN_BY`` (the last commit whose code wrote format 1 by default), from
the tree ``old_tree`` makes, which this test makes again to know the bytes it expects.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from tests.backup.fixtures.make_old_repository import old_tree
from workbench.strategies.backup import BackupStrategy
from workbench.strategies.backup.chunker import FASTCDC, GEAR64
from workbench.strategies.backup.repo import VERSION, Repository
from workbench.truth.judge import compare
from workbench.truth.manifest import take_manifest

WRITTEN_BY = "2a40f9de09b5e92b6ef18f96d45a93380a9b6fc9"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "repo-v1"


def _old_repository(workspace: Path) -> Path:
    repo = workspace / "repo-v1"
    shutil.copytree(FIXTURE, repo)
    return repo


def _same_tree(expected: Path, restored: Path) -> None:
    """Content, modes, owners, times, xattrs, links: ``ignore=set()`` leaves nothing out."""
    verdict = compare(take_manifest(expected), restored, ignore=set())
    assert verdict.ok, [(v.path, v.category, v.detail) for v in verdict.verdicts if v.category != "intact"]


def test_a_format_1_repository_restores_byte_exact(workspace: Path) -> None:
    repo = _old_repository(workspace)
    opened = Repository.open(repo)
    assert opened.config["version"] == 1 and opened.chunker.algorithm == GEAR64
    expected = old_tree(workspace / "expected")
    strategy = BackupStrategy()
    [point] = strategy.points(repo)
    mbox = next(e for e in opened.read_snapshot(point.id)["tree"] if e["path"] == "docs/deep/mail.mbox")
    assert len(mbox["chunks"]) > 10, "the fixture's large file was cut by content"
    strategy.restore(repo, "latest", workspace / "restored")
    _same_tree(expected, workspace / "restored")
    assert strategy.verify(repo).ok


def test_a_backup_into_a_format_1_repository_keeps_its_chunker(workspace: Path) -> None:
    """The config says how chunks were cut, so an unchanged large file deduplicates against format 1's chunks."""
    repo = _old_repository(workspace)
    source = old_tree(workspace / "source")
    with open(source / "docs/notes.txt", "a") as notes:
        notes.write("one more line\n")
    strategy = BackupStrategy("full")
    point = strategy.protect(source, repo, now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert point.extra["new_chunks"] == 1, "only the edited small file is new"
    assert json.loads((repo / "config").read_text())["version"] == 1
    strategy.restore(repo, point.id, workspace / "restored")
    _same_tree(source, workspace / "restored")


def test_a_new_repository_is_format_2_with_the_fastcdc_chunker(workspace: Path) -> None:
    source = old_tree(workspace / "source")
    repo = workspace / "repo"
    BackupStrategy("full").protect(source, repo, now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    config = json.loads((repo / "config").read_text())
    assert config["version"] == VERSION == 2
    assert config["chunker"]["algorithm"] == FASTCDC
    BackupStrategy().restore(repo, "latest", workspace / "restored")
    _same_tree(source, workspace / "restored")
