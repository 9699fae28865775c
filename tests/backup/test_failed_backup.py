"""A backup that fails part-way (here: a full disk at one chosen step) leaves the repository consistent.

Unlike the SIGKILL tests in test_crash.py, the process lives on, so the engine's own
clean-up runs: it must never remove data an index already vouches for. Afterwards every
snapshot verifies and restores exactly, and the next backup stores whatever it needs,
including content the failed run had already stored.
"""

from __future__ import annotations

import errno
import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.backup.conftest import DAY0, churn_small_tree
from workbench import durable
from workbench.errors import OperationFailed
from workbench.strategies.backup import BackupStrategy
from workbench.strategies.backup import repo as repo_mod
from workbench.strategies.backup.repo import Location, Repository, chunk_id
from workbench.truth.judge import compare
from workbench.truth.manifest import take_manifest


def _failing(original: Callable, fails: Callable[..., bool]) -> Callable:
    def wrapper(*args, **kwargs):
        if fails(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(*args, **kwargs)

    return wrapper


def _nth_call(n: int) -> Callable[..., bool]:
    calls = [0]

    def fails(*_args, **_kwargs) -> bool:
        calls[0] += 1
        return calls[0] == n

    return fails


def _fsync_of(folder: str) -> Callable[..., bool]:
    return lambda path: Path(path).name == folder


#: (what fails, owner, attribute, when, whether the failed run's snapshot is nevertheless in place)
FAILURES = [
    ("pack-write", repo_mod.PackWriter, "add", lambda: _nth_call(4), False),
    ("index-write", repo_mod.Repository, "write_index", lambda: _nth_call(1), False),
    ("index-dir-fsync", durable, "fsync_dir", lambda: _fsync_of("index"), False),
    ("snapshot-write", repo_mod.Repository, "write_snapshot", lambda: _nth_call(1), False),
    ("snapshot-dir-fsync", durable, "fsync_dir", lambda: _fsync_of("snapshots"), True),
]


@pytest.mark.parametrize(("owner", "name", "when", "committed"), [f[1:] for f in FAILURES],
                         ids=[f[0] for f in FAILURES])
def test_a_failed_backup_leaves_every_snapshot_restorable_and_the_next_one_complete(
    owner: object, name: str, when: Callable, committed: bool, small_tree: Path, workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(repo_mod, "PACK_TARGET", 256 << 10)  # several packs, so some are renamed before the failure
    repo = workspace / "repo"
    strategy = BackupStrategy("incremental")
    manifests = {DAY0: take_manifest(small_tree)}
    strategy.protect(small_tree, repo, now=DAY0)

    churn_small_tree(small_tree, 1)
    (small_tree / "home/bob/kept.bin").write_bytes(random.Random(7).randbytes(1 << 20))  # survives the next churn
    manifests[DAY0 + timedelta(days=1)] = take_manifest(small_tree)
    with monkeypatch.context() as patch:
        patch.setattr(owner, name, _failing(getattr(owner, name), when()))
        with pytest.raises(OperationFailed, match="no space left on device"):
            strategy.protect(small_tree, repo, now=DAY0 + timedelta(days=1))
    assert strategy.verify(repo).ok

    churn_small_tree(small_tree, 2)  # kept.bin is unchanged: its chunks may be stored by the failed run
    manifests[DAY0 + timedelta(days=2)] = take_manifest(small_tree)
    strategy.protect(small_tree, repo, now=DAY0 + timedelta(days=2))

    points = strategy.points(repo)
    expected_days = [0, 1, 2] if committed else [0, 2]
    assert [p.time for p in points] == [DAY0 + timedelta(days=d) for d in expected_days]
    report = strategy.verify(repo)
    assert report.ok, report.damage
    for point in points:
        out = workspace / f"out-{point.id}"
        strategy.restore(repo, point.id, out)
        verdict = compare(manifests[point.time], out, ignore=set())
        assert verdict.ok, [(v.path, v.category, v.detail) for v in verdict.verdicts if v.category != "intact"]


@pytest.mark.parametrize("metadata_only", [False, True])
def test_verify_reports_an_index_entry_whose_pack_is_missing(
    small_tree: Path, workspace: Path, metadata_only: bool
) -> None:
    """Even one no snapshot uses: the next backup would trust that chunk as stored."""
    repo_path = workspace / "repo"
    strategy = BackupStrategy()
    strategy.protect(small_tree, repo_path, now=DAY0)
    assert strategy.verify(repo_path, metadata_only=metadata_only).ok
    lost = chunk_id(b"stored by a run whose pack was deleted")
    Repository.open(repo_path).write_index({"00" * 16: [(lost, Location("00" * 16, 0, 40, 40, repo_mod.CODEC_RAW))]})

    report = strategy.verify(repo_path, metadata_only=metadata_only)
    assert [(d.what, d.where) for d in report.damage] == [("chunk", lost.hex())]
    assert "missing" in report.damage[0].detail and report.damage[0].affects == ()
