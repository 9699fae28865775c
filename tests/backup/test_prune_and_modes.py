"""Prune frees real space; modes, selection and the CLI round trip."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from tests.backup.conftest import DAY0, churn_small_tree
from workbench.cli.main import main
from workbench.strategies.backup import BackupStrategy, KeepPolicy, Selection
from workbench.strategies.backup.repo import footprint
from workbench.truth.judge import compare
from workbench.truth.manifest import take_manifest


def test_forget_and_prune_free_the_space_of_unshared_chunks(small_tree: Path, workspace: Path) -> None:
    repo = workspace / "repo"
    strategy = BackupStrategy()
    strategy.protect(small_tree, repo, now=DAY0)
    big = small_tree / "home/bob/huge.bin"
    big.write_bytes(os.urandom(6 << 20))  # only the second snapshot has it
    strategy.protect(small_tree, repo, now=DAY0 + timedelta(days=1))
    big.unlink()
    manifest = take_manifest(small_tree)
    last = strategy.protect(small_tree, repo, now=DAY0 + timedelta(days=2))
    before = footprint(repo)
    plan = strategy.forget(repo, KeepPolicy(last=1))
    assert plan.forget and last.id in plan.keep
    forgotten = footprint(repo)
    assert forgotten > before - (1 << 20)  # forgetting alone frees nothing: chunks are still stored
    result = strategy.prune(repo)
    after = footprint(repo)
    assert before - after >= 6 << 20  # the 6 MiB of random data no snapshot uses is really gone
    assert result.bytes_freed == forgotten - after and result.chunks_removed >= 1
    assert strategy.verify(repo).ok
    strategy.restore(repo, "latest", workspace / "out")
    assert compare(manifest, workspace / "out", ignore=set()).ok
    again = strategy.prune(repo)  # nothing left to do, and nothing lost
    assert again.chunks_removed == 0 and strategy.verify(repo).ok


def test_incremental_reads_only_changes_reread_reads_all_differential_counts_from_full(
    small_tree: Path, workspace: Path
) -> None:
    repo = workspace / "repo"
    full = BackupStrategy("full").protect(small_tree, repo, now=DAY0)
    total_files = full.extra["files"]
    assert full.extra["changed_files"] == total_files
    churn_small_tree(small_tree, 1)
    incr = BackupStrategy("incremental").protect(small_tree, repo, now=DAY0 + timedelta(days=1))
    assert incr.extra["changed_files"] == 3  # big.db, notes.txt, day1.txt
    reread = BackupStrategy("incremental", reread=True).protect(small_tree, repo, now=DAY0 + timedelta(days=1, hours=1))
    assert reread.extra["changed_files"] == total_files + 1 and reread.extra["new_chunks"] == 0
    churn_small_tree(small_tree, 2)
    diff = BackupStrategy("differential").protect(small_tree, repo, now=DAY0 + timedelta(days=2))
    assert diff.kind == "differential" and diff.parent == full.id
    assert diff.extra["changed_files"] == 3  # big.db, notes.txt, day2.txt (day1.txt deleted) vs the full
    incr2 = BackupStrategy("incremental").protect(small_tree, repo, now=DAY0 + timedelta(days=3))
    assert incr2.parent == diff.id and incr2.extra["changed_files"] == 0


def test_folders_include_exclude(small_tree: Path, workspace: Path) -> None:
    repo = workspace / "repo"
    selection = Selection(folders=("home",), include=("*.txt", "home/bob"), exclude=("docs/empty",))
    BackupStrategy(selection=selection).protect(small_tree, repo, now=DAY0)
    BackupStrategy().restore(repo, "latest", workspace / "out")
    got = sorted(str(p.relative_to(workspace / "out")) for p in (workspace / "out").rglob("*"))
    assert got == ["home", "home/alice", "home/alice/docs", "home/alice/docs/notes.txt", "home/bob", "home/bob/big.db"]


def test_cli_round_trip_with_json(small_tree: Path, workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifests = []
    for day in range(3):
        if day:
            churn_small_tree(small_tree, day)
        manifests.append(take_manifest(small_tree))
        assert main(["backup", "protect", "--source", "src", "--target", "repo", "--json",
                     "--now", (DAY0 + timedelta(days=day)).isoformat()]) == 0
    capsys.readouterr()
    assert main(["backup", "points", "--target", "repo", "--json"]) == 0
    points = json.loads(capsys.readouterr().out)
    assert [p["kind"] for p in points] == ["full", "incremental", "incremental"]
    assert main(["backup", "restore", "--target", "repo", "--point", points[0]["id"][:6], "--to", "day0"]) == 0
    assert compare(manifests[0], workspace / "day0", ignore=set()).ok
    assert main(["backup", "verify", "--target", "repo", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])["ok"] is True
    assert main(["backup", "forget", "--target", "repo", "--keep-last", "1", "--prune", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["forget"]) == 2 and result["prune"]["bytes_freed"] > 0
