"""Trees of many files are hashed in worker processes: the same manifest as threads, and the same errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.truth import manifest
from workbench.truth.manifest import take_manifest


def _tree(root: Path, files: int) -> Path:
    for n in range(files):
        folder = root / f"d{n // 50:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{n:05d}").write_bytes(n.to_bytes(4, "little") * (n % 97))
    os.link(root / "d000/f00001", root / "d000/hard")
    os.symlink("f00002", root / "d000/soft")
    os.setxattr(root / "d000/f00003", "user.tag", b"x")
    return root


def test_worker_processes_give_the_same_manifest_as_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path / "t", 300)
    monkeypatch.setattr(manifest, "WORKER_ENTRIES", 10)
    started = []
    real = manifest._entries_in_worker
    monkeypatch.setattr(manifest, "_entries_in_worker", lambda *a: started.append(1) or real(*a))
    by_workers = take_manifest(root)
    by_threads = take_manifest(root, workers=2)
    assert started, "the worker path was not taken"
    assert by_workers.digest() == by_threads.digest()
    assert by_workers.entries["d000/f00003"].xattrs == {"user.tag": "78"}
    assert by_workers.entries["d000/hard"].link_group == by_workers.entries["d000/f00001"].link_group == 1


def test_an_error_in_a_worker_is_raised_in_the_caller(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.write_bytes(b"soon gone")
    batch = [("gone", gone.lstat())]
    gone.unlink()  # vanished between the walk and the hashing
    with pytest.raises(FileNotFoundError):
        manifest._entries_in_worker(str(tmp_path), [batch])
