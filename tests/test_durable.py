"""durable.replacing: the new content is fsynced before the rename, and the folder after it; and who asks for it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench import durable
from workbench.disk import sector_list
from workbench.results.store import ResultsWriter, RunRecord
from workbench.strategies.mirror import record, sync


def _log_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """[("fsync", path) | ("rename", destination)] in the order they happened."""
    log: list[tuple[str, str]] = []
    fsync, rename = os.fsync, os.rename

    def logged_fsync(fd: int) -> None:
        fsync(fd)
        log.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))

    def logged_rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        rename(src, dst)
        log.append(("rename", str(dst)))

    monkeypatch.setattr(os, "fsync", logged_fsync)
    monkeypatch.setattr(os, "rename", logged_rename)
    return log


def test_the_new_content_is_synced_then_renamed_then_its_folder_synced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "run.json"
    target.write_text("old")
    log = _log_calls(monkeypatch)
    with durable.replacing(target) as temp:
        temp.write_text("new")
        assert temp.parent == tmp_path and temp.name.startswith(".run.json.")
    assert log == [("fsync", str(temp)), ("rename", str(target)), ("fsync", str(tmp_path))]
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["run.json"]


def test_a_failure_inside_leaves_the_old_file_and_nothing_aside(tmp_path: Path) -> None:
    target = tmp_path / "index"
    target.write_bytes(b"old")
    aside = tmp_path / "tmp"
    aside.mkdir()
    with pytest.raises(OSError, match="disk full"), durable.replacing(target, aside=aside / "index.1") as temp:
        temp.write_bytes(b"half of the ne")
        raise OSError("disk full")
    assert target.read_bytes() == b"old" and os.listdir(aside) == []


def test_without_sync_it_is_still_a_rename_but_nothing_is_synced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "clone.img.hashes"
    log = _log_calls(monkeypatch)
    durable.write_atomic(target, b"hashes", aside=tmp_path / "clone.img.hashes.tmp", sync=False)
    assert log == [("rename", str(target))]
    assert target.read_bytes() == b"hashes" and os.listdir(tmp_path) == ["clone.img.hashes"]


def _synced_before_rename(log: list[tuple[str, str]], path: Path) -> bool:
    """``path`` was renamed into place right after its content was synced, and its folder right after."""
    at = log.index(("rename", str(path)))
    return log[at - 1][0] == "fsync" and log[at - 1][1] != str(path) and log[at + 1] == ("fsync", str(path.parent))


def test_the_results_the_mirror_record_and_the_bad_sector_list_are_written_durably(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _log_calls(monkeypatch)
    writer = ResultsWriter(tmp_path / "out", RunRecord(profile="classroom", data_size_bytes=1, disk_size_bytes=1,
                                                       seed=1, repeat=1, strategies=[], scenarios=[]))
    writer.close()
    record.write_record(tmp_path / record.SYNC_NAME, {})
    sector_list.save(tmp_path / "pc.img.badsectors.json", sector_list.BadSectors())
    for path in (tmp_path / "out/run.json", tmp_path / "out/results.csv", tmp_path / record.SYNC_NAME,
                 tmp_path / "pc.img.badsectors.json"):
        assert _synced_before_rename(log, path), (path, log)


def _second_sync_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *,
                        durable: bool) -> tuple[Path, list[tuple[str, str]]]:
    """A mirror synced once, then again after b.bin changed, with the second sync's calls logged."""
    source, target = tmp_path / "src", tmp_path / "mirror"
    (source / "docs").mkdir(parents=True)
    (source / "docs" / "a.txt").write_text("a\n")
    (source / "b.bin").write_bytes(b"b" * 5000)
    sync.sync_tree(source, target)
    (source / "b.bin").write_bytes(b"c" * 6000)
    log = _log_calls(monkeypatch)
    real = sync.sync_filesystem

    def logged_syncfs(path: Path) -> None:
        real(path)
        log.append(("syncfs", str(path)))
        log.append(("b.bin then", (path / "b.bin").read_bytes()[:1].decode()))

    monkeypatch.setattr(sync, "sync_filesystem", logged_syncfs)
    sync.sync_tree(source, target, durable=durable)
    return target, log


def test_a_mirror_sync_by_default_renames_its_files_and_record_and_syncs_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target, log = _second_sync_logged(tmp_path, monkeypatch, durable=False)
    assert log == [("rename", str(target / record.SYNC_NAME))] * 2  # the interrupted mark, the finished sync
    assert (target / "b.bin").read_bytes() == b"c" * 6000


def test_a_durable_mirror_sync_writes_the_target_out_before_its_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target, log = _second_sync_logged(tmp_path, monkeypatch, durable=True)
    saved = target / record.SYNC_NAME
    assert log.count(("rename", str(saved))) == 2  # the interrupted mark, then the finished sync
    assert _synced_before_rename(log, saved)
    last = len(log) - 1 - log[::-1].index(("rename", str(saved)))
    marked = log.index(("rename", str(saved)))
    assert log[marked - 1][0] == "fsync" and log[marked + 1] == ("fsync", str(target))  # the mark is durable too
    assert marked < log.index(("syncfs", str(target))) < last - 1
    assert ("b.bin then", "c") in log  # the filesystem was written out after the new content landed
    finished = record.load_sync(target)
    assert finished is not None and not finished.get("interrupted")
