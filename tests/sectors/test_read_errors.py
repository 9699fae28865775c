"""The bad-sectors fault that fails reads: what the record names is unreadable, everything else reads intact."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest
from sectorkit import FILES, content, read_errno

from workbench.disk import sector_list
from workbench.disk.loop import attached
from workbench.disk.mounting import drop_caches, mounted
from workbench.disk.served import opened
from workbench.errors import UsageError
from workbench.faults.read_errors import RUN_SECTORS, inject_read_errors

pytestmark = pytest.mark.root


def _run(record, aimed_at: str) -> dict:
    return next(run for run in record.details["runs"] if run["aimed_at"] == aimed_at)


def test_files_on_bad_sectors_fail_with_eio_and_every_other_file_reads_intact(workspace: Path,
                                                                             files_disk: Path) -> None:
    before = files_disk.read_bytes()
    record = inject_read_errors(files_disk, seed=3)
    assert files_disk.read_bytes() == before, "no byte of the image changes: the sectors only fail to read"
    assert record.kind == "bad-sectors" and record.details["mechanism"] == "read-errors"
    assert len(record.ranges) == 4 and all(r.length == RUN_SECTORS * 512 and r.changed_bytes == 0
                                           for r in record.ranges)
    listed = sector_list.load(sector_list.list_path(files_disk))
    assert [(r.offset, r.length) for r in listed.ranges] == [(r.offset, r.length) for r in record.ranges]
    lost = set(record.files)
    assert lost and lost < set(FILES)
    drop_caches()
    with opened(files_disk) as disk, mounted(disk) as root:
        for name, size in sorted(FILES.items()):
            if name in lost:
                assert read_errno(root / name) == errno.EIO, name
            else:
                assert (root / name).read_bytes() == content(name, size), name
        folder = _run(record, "directory")
        with pytest.raises(OSError) as unlisted:
            os.listdir(root / folder["target"])
        assert unlisted.value.errno == errno.EIO
        inodes = _run(record, "inodes")
        with pytest.raises(OSError) as unstatted:
            os.stat(root / inodes["target"])
        assert unstatted.value.errno == errno.EIO
        data = _run(record, "data")
        assert data["holds"] == {"file_data": [data["target"]]}
        assert os.stat(root / data["target"]).st_size == FILES[data["target"]]  # its inode reads; its data not


def test_the_record_names_the_same_sectors_for_the_same_seed_on_the_same_disk(workspace: Path,
                                                                              files_disk: Path) -> None:
    twin = workspace / "twin.img"
    shutil.copyfile(files_disk, twin)
    first, second = inject_read_errors(files_disk, seed=5), inject_read_errors(twin, seed=5)
    assert first.files == second.files
    assert [(r.offset, r.length) for r in first.ranges] == [(r.offset, r.length) for r in second.ranges]
    assert first.details["runs"] == second.details["runs"]
    other = inject_read_errors(twin, seed=6, directories=0, inodes=0)
    assert [r.offset for r in other.ranges] != [r.offset for r in first.ranges if _aimed(first, r) == "data"]
    assert len(sector_list.load(sector_list.list_path(twin)).ranges) >= 5  # a second fault adds to the list


def _aimed(record, byte_range) -> str:
    return next(run["aimed_at"] for run in record.details["runs"] if run["first_sector"] * 512 == byte_range.offset)


def test_the_fault_needs_a_detached_disk_and_enough_files(workspace: Path, files_disk: Path) -> None:
    with attached(files_disk):
        with pytest.raises(UsageError, match="attached"):
            inject_read_errors(files_disk)
    with pytest.raises(UsageError, match="only"):
        inject_read_errors(files_disk, files=500)
    with pytest.raises(UsageError, match="no folder 'srv'"):
        inject_read_errors(files_disk, folders=("srv",))
    assert not sector_list.list_path(files_disk).exists()  # a refused fault leaves no list
