"""A sync reads the source's xattrs only where an entry changed since the last whole sync (its ctime says
so); elsewhere the target's copy, left equal by that sync, stands for them. Changes still propagate."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from workbench.strategies.mirror import record, tree
from workbench.strategies.mirror.sync import sync_tree

TICK = 0.05  # longer than the kernel's coarse clock tick that stamps ctimes


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setattr(record, "CLOCK_SLACK_NS", 0)  # the tests wait a tick instead of a second
    source, target = tmp_path / "src", tmp_path / "dst"
    (source / "docs").mkdir(parents=True)
    for n in range(5):
        (source / "docs" / f"f{n}.txt").write_text(f"file {n}")
        os.setxattr(source / "docs" / f"f{n}.txt", "user.n", str(n).encode())
    os.symlink("docs/f0.txt", source / "link")
    time.sleep(TICK)
    sync_tree(source, target)
    time.sleep(TICK)
    return source, target


def _entries(source: Path) -> int:
    return sum(1 for _ in source.rglob("*"))


def test_a_sync_after_a_whole_one_takes_unchanged_xattrs_from_the_target(pair: tuple[Path, Path]) -> None:
    source, target = pair
    saved = record.load_sync(target)
    assert saved is not None and saved["version"] == 2 and set(saved["xattrs_settled"]) == {"source_ns", "target_ns"}
    result = sync_tree(source, target)
    assert result.xattrs_reused == _entries(source)
    assert (result.created, result.updated, result.metadata) == (0, 0, 0)


def test_a_sync_with_nothing_changed_reads_no_xattr_on_either_side(
        pair: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    source, target = pair
    read: list[str] = []
    real = tree.read_xattrs

    def counting(path: str | int) -> tree.Xattrs:
        read.append(str(path))
        return real(path)

    monkeypatch.setattr(tree, "read_xattrs", counting)
    result = sync_tree(source, target)
    # only the two tops, which a scan always reads, and the target's again once the record is written
    assert read == [str(source), str(target), str(target)], read
    assert (result.created, result.updated, result.metadata) == (0, 0, 0)


def test_an_xattr_changed_on_the_source_is_read_and_copied(pair: tuple[Path, Path]) -> None:
    source, target = pair
    os.setxattr(source / "docs" / "f3.txt", "user.n", b"changed")
    result = sync_tree(source, target)
    assert os.getxattr(target / "docs" / "f3.txt", "user.n") == b"changed"
    assert result.metadata == 1 and result.xattrs_reused == _entries(source) - 1


def test_an_xattr_changed_on_the_target_is_put_back(pair: tuple[Path, Path]) -> None:
    source, target = pair
    os.setxattr(target / "docs" / "f1.txt", "user.n", b"tampered")
    os.removexattr(target / "docs" / "f2.txt", "user.n")
    result = sync_tree(source, target)
    assert os.getxattr(target / "docs" / "f1.txt", "user.n") == b"1"
    assert os.getxattr(target / "docs" / "f2.txt", "user.n") == b"2"
    assert result.metadata == 2


@pytest.mark.parametrize("last", ["version 1", "interrupted", "other source"])
def test_without_a_settled_whole_sync_every_xattr_is_read(pair: tuple[Path, Path], last: str) -> None:
    source, target = pair
    saved = record.load_sync(target)
    assert saved is not None
    saved = {k: v for k, v in saved.items() if k not in ("format", "version")}
    if last == "version 1":
        del saved["xattrs_settled"]
    elif last == "interrupted":
        saved["interrupted"] = True
    else:
        saved["source"] = "/somewhere/else"
    record.write_record(target / record.SYNC_NAME, saved)
    os.setxattr(target / "docs" / "f4.txt", "user.n", b"tampered")
    result = sync_tree(source, target)
    assert result.xattrs_reused == 0
    assert os.getxattr(target / "docs" / "f4.txt", "user.n") == b"4"


def test_a_scoped_sync_settles_nothing(pair: tuple[Path, Path]) -> None:
    source, target = pair
    os.chmod(source / "docs" / "f0.txt", 0o600)  # a change, so the sync writes the record again
    result = sync_tree(source, target, only=["docs"])  # a scoped sync does not look at every entry
    assert result.metadata == 1
    again = record.load_sync(target)
    assert again is not None and "xattrs_settled" not in again
