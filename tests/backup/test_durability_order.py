"""The commit order repo.py promises, seen from the system calls: a snapshot becomes visible last.

Every fsync and rename is logged (an fsync by the path its descriptor names) and the log is
checked against the order: each pack fsynced, then renamed into packs/; packs/ fsynced; the
index fsynced, renamed, index/ fsynced; only then the snapshot renamed into snapshots/.
"""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import pytest

from tests.backup.conftest import DAY0
from workbench.strategies.backup import BackupStrategy
from workbench.strategies.backup import repo as repo_mod


def _log_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """[("fsync", path) | ("rename", destination)] in the order they happened, across threads."""
    log: list[tuple[str, str]] = []
    guard = threading.Lock()
    fsync, rename = os.fsync, os.rename

    def logged_fsync(fd: int) -> None:
        fsync(fd)
        with guard:
            log.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))

    def logged_rename(src, dst, **kwargs) -> None:
        rename(src, dst, **kwargs)
        with guard:
            log.append(("rename", str(dst)))

    monkeypatch.setattr(os, "fsync", logged_fsync)
    monkeypatch.setattr(os, "rename", logged_rename)
    return log


def test_a_snapshot_is_renamed_into_place_only_after_its_data_is_durable(
    small_tree: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repo_mod, "PACK_TARGET", 256 << 10)  # several packs, fsynced on the background thread
    (small_tree / "home/bob/more.bin").write_bytes(random.Random(3).randbytes(1 << 20))
    repo = (workspace / "repo").resolve()
    repo_mod.Repository.open_or_create(repo)  # the config's own writes are not part of this order
    log = _log_calls(monkeypatch)

    BackupStrategy().protect(small_tree, repo, now=DAY0)

    def at(kind: str, path: Path) -> int:
        assert (kind, str(path)) in log, f"no {kind} of {path}"
        return log.index((kind, str(path)))

    packs = sorted(os.listdir(repo / "packs"))
    (index,) = os.listdir(repo / "index")
    (snapshot,) = os.listdir(repo / "snapshots")
    assert len(packs) > 1
    for pack in packs:
        assert at("fsync", repo / "tmp" / pack) < at("rename", repo / "packs" / pack)
    snapshot_rename = at("rename", repo / "snapshots" / snapshot)
    index_rename = at("rename", repo / "index" / index)
    packs_dir_sync = at("fsync", repo / "packs")
    assert max(at("rename", repo / "packs" / p) for p in packs) < packs_dir_sync < index_rename
    assert index_rename < at("fsync", repo / "index") < snapshot_rename
    assert log[snapshot_rename - 1][0] == "fsync" and "/tmp/" in log[snapshot_rename - 1][1]  # its own data first
    assert log[snapshot_rename + 1:] == [("fsync", str(repo / "snapshots"))]
