"""Incremental change detection the way restic does it: size, mtime, inode and ctime must all match.

Each test changes a file so that every other signal still matches, and checks through the
engine's own count of files it re-read (``changed_files``) that the one signal left was enough.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from tests.backup.conftest import DAY0
from workbench.strategies.backup import BackupStrategy
from workbench.strategies.backup import snapshot as snapshot_mod

NOTES = "home/alice/docs/notes.txt"


def test_same_size_rewrite_with_mtime_put_back_is_caught_by_ctime(
    small_tree: Path, workspace: Path, strategy: BackupStrategy
) -> None:
    repo = workspace / "repo"
    strategy.protect(small_tree, repo, now=DAY0)
    path = small_tree / NOTES
    before = os.stat(path)
    new_content = path.read_bytes().upper()
    assert new_content != path.read_bytes() and len(new_content) == before.st_size
    with open(path, "r+b") as file:  # in place: the inode stays
        file.write(new_content)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    assert after.st_ctime_ns != before.st_ctime_ns  # the only signal left

    point = strategy.protect(small_tree, repo, now=DAY0 + timedelta(days=1))
    assert point.extra["changed_files"] == 1
    strategy.restore(repo, point.id, workspace / "out", path=NOTES)
    assert (workspace / "out" / NOTES).read_bytes() == new_content


def test_a_replacement_with_equal_size_and_mtime_is_caught_by_its_inode(
    small_tree: Path, workspace: Path, strategy: BackupStrategy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Linux a replacement always gets a fresh ctime too, so ctime is blanked here (as on a
    filesystem that keeps none) to leave the inode as the only signal."""
    describe = snapshot_mod.describe

    def without_ctime(path, rel, st, *known_xattrs):
        entry = describe(path, rel, st, *known_xattrs)
        if "ctime_ns" in entry:
            entry["ctime_ns"] = 0
        return entry

    monkeypatch.setattr(snapshot_mod, "describe", without_ctime)
    repo = workspace / "repo"
    strategy.protect(small_tree, repo, now=DAY0)
    path = small_tree / NOTES
    before = os.stat(path)
    copy = path.with_name("notes.new")
    copy.write_bytes(path.read_bytes())
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.setxattr(copy, "user.origin", b"scanner")  # the copy matches in every recorded field but the inode
    os.rename(copy, path)
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert after.st_ino != before.st_ino

    point = strategy.protect(small_tree, repo, now=DAY0 + timedelta(days=1))
    assert point.extra["changed_files"] == 1
    assert point.extra["new_chunks"] == 0  # re-read, and deduplicated: the bytes are the same


def test_an_untouched_tree_is_not_re_read(small_tree: Path, workspace: Path, strategy: BackupStrategy) -> None:
    """The control for the two tests above: with nothing changed, no file is read again."""
    repo = workspace / "repo"
    strategy.protect(small_tree, repo, now=DAY0)
    assert strategy.protect(small_tree, repo, now=DAY0 + timedelta(days=1)).extra["changed_files"] == 0


def test_an_incremental_reads_xattrs_only_of_files_whose_ctime_changed(
    small_tree: Path, workspace: Path, strategy: BackupStrategy, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = workspace / "repo"
    strategy.protect(small_tree, repo, now=DAY0)
    os.setxattr(small_tree / NOTES, "user.origin", b"camera")  # changes the ctime, nothing else
    read: list[str] = []
    real_read = snapshot_mod.read_xattrs
    monkeypatch.setattr(snapshot_mod, "read_xattrs", lambda path: read.append(str(path)) or real_read(path))
    point = strategy.protect(small_tree, repo, now=DAY0 + timedelta(days=1))
    files = [p for p in small_tree.rglob("*") if p.is_file() and not p.is_symlink()]
    # a hard link's later name records no xattrs of its own (its first name does), so it is read
    read_files = [p for p in read if os.path.isfile(p) and not os.path.islink(p) and os.stat(p).st_nlink == 1]
    assert read_files == [str(small_tree / NOTES)], "every other file's xattrs came from the base snapshot"
    assert len(files) > 3
    restored = workspace / "out"
    strategy.restore(repo, point.id, restored)
    assert os.getxattr(restored / NOTES, "user.origin") == b"camera"
