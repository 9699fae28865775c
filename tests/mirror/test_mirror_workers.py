"""Mirrors of many files use worker processes (the target scanned beside the source, checksums hashed on
every core): the same trees, decisions and records as one process, and the paths that take them are taken."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from workbench import workers
from workbench.strategies.mirror import record, sync, tree, twoway
from workbench.strategies.mirror.tree import TEMP_PREFIX, scan_both


def _sample(root: Path) -> Path:
    (root / "docs" / "deep").mkdir(parents=True)
    for n in range(30):
        (root / "docs" / f"f{n:02d}.txt").write_bytes(bytes([n]) * (n * 37))
    (root / "docs" / "deep" / "tagged").write_text("tag me")
    os.setxattr(root / "docs" / "deep" / "tagged", "user.colour", b"blue")
    os.link(root / "docs" / "f01.txt", root / "docs" / "hard")
    os.symlink("docs/f02.txt", root / "link")
    os.mkfifo(root / "pipe")
    return root


def _timeless(found: dict[str, tree.MirrorEntry]) -> dict[str, tree.MirrorEntry]:
    return {path: replace(entry, atime_ns=0) for path, entry in found.items()}


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The jobs given to worker processes."""
    jobs: list[str] = []
    real = workers.Started.__init__

    def counting(self: workers.Started, job: str, count: int) -> None:
        jobs.append(job)
        real(self, job, count)

    monkeypatch.setattr(workers.Started, "__init__", counting)
    return jobs


def test_a_tree_scanned_in_a_worker_equals_one_scanned_here(tmp_path: Path, counted: list[str]) -> None:
    first, second = _sample(tmp_path / "a"), _sample(tmp_path / "b")
    (second / "docs" / f"{TEMP_PREFIX}half.tmp").write_bytes(b"left by a killed run")
    here = scan_both(first, second, in_worker=False, exclude_top=record.LEFT_OUT)
    there = scan_both(first, second, in_worker=True, exclude_top=record.LEFT_OUT)
    assert counted == ["workbench.strategies.mirror.tree:scan_rows"]
    for mine, theirs in zip(here[:2], there[:2]):  # a scan reads folders and links, which may move their atime
        assert _timeless(mine) == _timeless(theirs)
    assert here[2] == there[2]
    assert there[1]["docs/deep/tagged"].xattrs == (("user.colour", b"blue"),)
    assert there[2] == [str(second / "docs" / f"{TEMP_PREFIX}half.tmp")]


def test_a_worker_leaves_the_same_entries_unread_for_xattrs(tmp_path: Path, counted: list[str]) -> None:
    first, second = _sample(tmp_path / "a"), _sample(tmp_path / "b")
    time.sleep(0.05)  # past the coarse tick that stamps ctimes
    os.setxattr(second / "docs" / "f07.txt", "user.new", b"after the time")
    before = time.time_ns() - 10**7  # f07's ctime is later; every other entry's is earlier
    here: tree.Unchanged = (before, [])
    there: tree.Unchanged = (before, [])
    _, by_us, _ = scan_both(first, second, in_worker=False, second_unchanged=here)
    _, by_worker, _ = scan_both(first, second, in_worker=True, second_unchanged=there)
    assert counted == ["workbench.strategies.mirror.tree:scan_rows"]
    assert sorted(here[1]) == sorted(there[1]) and "docs/f07.txt" not in there[1]
    assert "docs/deep/tagged" in there[1] and by_worker["docs/deep/tagged"].xattrs == ()
    assert by_worker["docs/f07.txt"].xattrs == by_us["docs/f07.txt"].xattrs == (("user.new", b"after the time"),)


def test_a_checksum_sync_of_many_files_hashes_in_workers_and_finds_rot(
        tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    source, target = _sample(tmp_path / "src"), tmp_path / "dst"
    sync.sync_tree(source, target, checksum=True)
    monkeypatch.setattr(sync, "WORKER_FILES", 5)
    rotted = target / "docs" / "f20.txt"
    stat = rotted.stat()
    rotted.write_bytes(b"\xff" * stat.st_size)  # same size and mtime: only a checksum sees it
    os.utime(rotted, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = sync.sync_tree(source, target, checksum=True)
    assert "workbench.strategies.mirror.sync:hash_share" in counted
    assert "workbench.strategies.mirror.tree:scan_rows" in counted
    assert result.updated == 1 and rotted.read_bytes() == (source / "docs" / "f20.txt").read_bytes()
    saved = record.load_sync(target)
    assert saved is not None and len(saved["hashes"]) == result.files


def test_a_two_way_sync_of_many_files_scans_in_a_worker_and_agrees(
        tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    left, right = _sample(tmp_path / "left"), tmp_path / "right"
    twoway.sync_two_way(left, right)
    monkeypatch.setattr(twoway, "WORKER_FILES", 5)
    time.sleep(0.01)
    (left / "docs" / "f03.txt").write_text("changed on the left")
    (right / "docs" / "f04.txt").write_text("changed on the right")
    (right / "docs" / "f05.txt").unlink()
    result = twoway.sync_two_way(left, right)
    assert counted == ["workbench.strategies.mirror.tree:scan_rows"]
    assert (result.to_target, result.to_source, result.deleted_on_source) == (1, 1, 1)
    sides = [{p: twoway.signature(e) for p, e in tree.scan(root, exclude_top=record.LEFT_OUT, xattrs=False).items()
              if p} for root in (left, right)]
    assert twoway.load_state(right) == sides[0] == sides[1]


def _started(monkeypatch: pytest.MonkeyPatch) -> list[workers.Started]:
    """Every ``Started`` made, to look at its job and its processes."""
    made: list[workers.Started] = []
    real = workers.Started.__init__

    def recording(self: workers.Started, job: str, count: int) -> None:
        real(self, job, count)
        made.append(self)

    monkeypatch.setattr(workers.Started, "__init__", recording)
    return made


def test_a_mirror_command_line_hands_the_targets_scan_to_the_worker_it_started_first(
        workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.cli.main import EARLY_WORKERS, main

    assert EARLY_WORKERS[("mirror", "protect")] == tree.SCAN_JOB
    _sample(workspace / "src")
    monkeypatch.setattr(sync, "WORKER_FILES", 10)
    made = _started(monkeypatch)
    argv = ["mirror", "protect", "--source", "src", "--target", "m"]
    assert main(argv) == 0  # no record yet: the target is scanned here, and the early worker is stopped at once
    assert [s.job for s in made] == [tree.SCAN_JOB] and made[0].children[0].poll() is not None
    made.clear()
    (workspace / "src" / "docs" / "new.txt").write_text("one more")
    assert main(argv) == 0  # the record says many files: the worker started first scans the target
    assert [s.job for s in made] == [tree.SCAN_JOB], "the scan started a worker of its own"
    assert made[0].children[0].returncode == 0, "the early worker did not do the scan"
    assert (workspace / "m" / "docs" / "new.txt").read_text() == "one more"
    assert not workers._EARLY


def test_a_worker_started_early_that_nothing_takes_is_stopped_when_the_command_ends(
        workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli.main import main

    made = _started(monkeypatch)
    assert main(["mirror", "protect", "--source", "missing", "--target", "m"]) == 2  # refused before any scan
    assert "does not exist" in capsys.readouterr().err
    assert len(made) == (workers.cores() > 1) and not workers._EARLY
    assert all(child.poll() is not None for s in made for child in s.children)
