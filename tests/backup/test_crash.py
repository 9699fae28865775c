"""SIGKILL a real child process in the middle of a backup or a prune, at several points.

The child is a Python process running the engine; a hook makes it SIGKILL itself at the
Nth call of a chosen step (before writing a blob, before the index, before the snapshot,
before a rename, before a delete), so each point is hit exactly. One more kill comes from
outside after a delay. Afterwards: verify passes, every snapshot committed before the kill
restores exactly, and the next run works and leaves no garbage behind.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.backup.conftest import DAY0, churn_small_tree
from workbench.strategies.backup import BackupStrategy, KeepPolicy
from workbench.strategies.backup.repo import Repository
from workbench.truth.judge import compare
from workbench.truth.manifest import take_manifest

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import os, pathlib, signal, sys
    from datetime import datetime
    from pathlib import Path
    import workbench.strategies.backup.repo as repo_mod
    from workbench.strategies.backup import BackupStrategy

    op, step, nth, source, repo, now = sys.argv[1:7]
    repo_mod.PACK_TARGET = 256 << 10  # several packs even for a small tree
    owners = {"add": (repo_mod.PackWriter, "add"), "write_index": (repo_mod.Repository, "write_index"),
              "write_snapshot": (repo_mod.Repository, "write_snapshot"), "rename": (os, "rename"),
              "unlink": (pathlib.Path, "unlink"), "none": None}
    calls = [0]
    if owners[step]:
        owner, name = owners[step]
        original = getattr(owner, name)
        def hooked(*args, **kwargs):
            calls[0] += 1
            if calls[0] >= int(nth):
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)
        setattr(owner, name, hooked)
    strategy = BackupStrategy("incremental")
    if op == "backup":
        strategy.protect(Path(source), Path(repo), now=datetime.fromisoformat(now))
    else:
        strategy.prune(Path(repo))
""")


def _child(op: str, step: str, nth: int, source: Path, repo: Path, now: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", CHILD, op, step, str(nth), str(source), str(repo), now],
                            env=env, stderr=subprocess.PIPE)


def _run_child(op: str, step: str, nth: int, source: Path, repo: Path, now: str) -> int:
    child = _child(op, step, nth, source, repo, now)
    _, err = child.communicate(timeout=120)
    assert child.returncode in (0, -signal.SIGKILL), err.decode()
    return child.returncode


def _history(source: Path, repo: Path, days: int) -> list:
    """``days`` committed snapshots with churn between them; returns their manifests."""
    manifests = []
    for day in range(days):
        if day:
            churn_small_tree(source, day)
        manifests.append(take_manifest(source))
        BackupStrategy().protect(source, repo, now=DAY0 + timedelta(days=day))
    return manifests


def _assert_all_restore(repo: Path, manifests: list, tmp: Path) -> None:
    strategy = BackupStrategy()
    points = strategy.points(repo)
    assert len(points) == len(manifests)
    report = strategy.verify(repo)
    assert report.ok, report.damage
    for n, (point, manifest) in enumerate(zip(points, manifests)):
        out = tmp / f"check-{time.monotonic_ns()}-{n}"
        strategy.restore(repo, point.id, out)
        verdict = compare(manifest, out, ignore=set())
        assert verdict.ok, [(v.path, v.category, v.detail) for v in verdict.verdicts if v.category != "intact"]


BACKUP_KILLS = [("add", 1), ("add", 3), ("rename", 2), ("write_index", 1), ("rename", 4), ("write_snapshot", 1)]


@pytest.mark.parametrize(("step", "nth"), BACKUP_KILLS)
def test_kill_mid_backup_loses_no_committed_snapshot(step: str, nth: int, small_tree: Path, workspace: Path) -> None:
    repo = workspace / "repo"
    manifests = _history(small_tree, repo, 2)
    churn_small_tree(small_tree, 2)
    # enough new data for several packs
    (small_tree / "home/bob/more.bin").write_bytes(random.Random(11).randbytes(1 << 20))
    now = (DAY0 + timedelta(days=2)).isoformat()
    assert _run_child("backup", step, nth, small_tree, repo, now) == -signal.SIGKILL
    _assert_all_restore(repo, manifests, workspace)
    # the next run works, and it cleans what the killed one left in tmp/
    manifests.append(take_manifest(small_tree))
    assert _run_child("backup", "none", 0, small_tree, repo, now) == 0
    assert not any((repo / "tmp").iterdir())
    _assert_all_restore(repo, manifests, workspace)


def test_kill_from_outside_at_random_moments(small_tree: Path, workspace: Path) -> None:
    repo = workspace / "repo"
    manifests = _history(small_tree, repo, 1)
    for n in range(8):
        (small_tree / f"home/bob/big{n}.bin").write_bytes(os.urandom(2 << 20))
    now = (DAY0 + timedelta(days=1)).isoformat()
    for delay in (0.3, 0.6, 0.9):
        child = _child("backup", "none", 0, small_tree, repo, now)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
        points = BackupStrategy().points(repo)
        # A kill that lands after the commit (or a run that finished first) leaves one more
        # snapshot, which must then restore like the others; a kill before it leaves none.
        if len(points) == len(manifests) + 1:
            manifests.append(take_manifest(small_tree))
        assert len(points) == len(manifests), child.returncode
        _assert_all_restore(repo, manifests, workspace)


# prune repacks 3 live chunks of this seeded history: the first and the last add are kill points
PRUNE_KILLS = [("add", 1), ("add", 3), ("rename", 2), ("write_index", 1), ("unlink", 2), ("unlink", 5)]


@pytest.mark.parametrize(("step", "nth"), PRUNE_KILLS)
def test_kill_mid_prune_loses_no_committed_snapshot(step: str, nth: int, small_tree: Path, workspace: Path) -> None:
    repo = workspace / "repo"
    manifests = _history(small_tree, repo, 4)
    strategy = BackupStrategy()
    plan = strategy.forget(repo, KeepPolicy(last=2))
    assert len(plan.forget) == 2
    kept = manifests[2:]
    assert _run_child("prune", step, nth, small_tree, repo, "") == -signal.SIGKILL
    _assert_all_restore(repo, kept, workspace)
    assert _run_child("prune", "none", 0, small_tree, repo, "") == 0  # a second prune finishes the job
    _assert_all_restore(repo, kept, workspace)
    used = {c for p in strategy.points(repo) for c in _chunks(repo, p.id)}
    assert set(Repository.open(repo).load_index()) == used  # nothing unused is left indexed


def _chunks(repo: Path, snap_id: str) -> set[bytes]:
    tree = Repository.open(repo).read_snapshot(snap_id)["tree"]
    return {bytes.fromhex(c) for e in tree for c in e.get("chunks", ())}
