"""A served disk: reads of its bad sectors fail with EIO through the loop device, others read the image's bytes."""

from __future__ import annotations

import errno
import json
import mmap
import os
from pathlib import Path

import pytest
from sectorkit import process_gone, read_errno

from workbench.disk import sector_list
from workbench.disk.loop import attached
from workbench.disk.sector_list import BadSectors, SectorRange
from workbench.disk.served import fuse_mounts, opened, served
from workbench.errors import SafetyError, UsageError

pytestmark = pytest.mark.root

BAD = SectorRange(40_000, 8)  # 4 KiB at 20 MiB - 1 MiB, inside the system disk's root partition


def _direct_read(device: str, offset: int, length: int) -> bytes:
    """Read with O_DIRECT, so the device's page cache cannot answer instead of the server."""
    fd = os.open(device, os.O_RDONLY | os.O_DIRECT | os.O_CLOEXEC)
    buffer = mmap.mmap(-1, length)  # page-aligned, as O_DIRECT wants
    try:
        got = os.preadv(fd, [buffer], offset)
        return bytes(buffer[:got])
    finally:
        os.close(fd)
        buffer.close()


def _direct_write(device: str, offset: int, data: bytes) -> None:
    fd = os.open(device, os.O_WRONLY | os.O_DIRECT | os.O_CLOEXEC)
    buffer = mmap.mmap(-1, len(data))
    buffer[:] = data
    try:
        assert os.pwritev(fd, [buffer], offset) == len(data)
        os.fsync(fd)
    finally:
        os.close(fd)
        buffer.close()


def test_raw_reads_over_a_bad_range_fail_and_reads_elsewhere_return_the_image_bytes(
        workspace: Path, system_disk: Path) -> None:
    with served(system_disk, [BAD]) as disk, attached(disk) as device:
        with pytest.raises(OSError) as failed:
            _direct_read(device, BAD.offset, 4096)
        assert failed.value.errno == errno.EIO
        with pytest.raises(OSError) as straddling:  # one sector of the run in a long read fails it whole
            _direct_read(device, BAD.offset - 64 * 1024 + 4096, 64 * 1024)
        assert straddling.value.errno == errno.EIO
        before = _direct_read(device, BAD.offset - 64 * 1024, 64 * 1024)  # ends where the run starts
        after = _direct_read(device, BAD.end_sector * 512, 64 * 1024)
        assert read_errno(Path(device), 0, 1 << 20) is None  # buffered, through the page cache
    with open(system_disk, "rb") as image:
        assert before == os.pread(image.fileno(), 64 * 1024, BAD.offset - 64 * 1024)
        assert after == os.pread(image.fileno(), 64 * 1024, BAD.end_sector * 512)


def test_the_served_disk_leaves_nothing_behind(workspace: Path, system_disk: Path) -> None:
    with served(system_disk, [BAD]) as disk:
        place = disk.parent.parent
        pid = int(json.loads((place / "server.json").read_text())["pid"])
        assert disk.name == system_disk.name and disk.stat().st_size == system_disk.stat().st_size
        assert fuse_mounts(workspace) == [disk.parent]
        assert not process_gone(pid)
    assert fuse_mounts(workspace) == [] and not place.exists()
    assert process_gone(pid)
    assert not sector_list.list_path(system_disk).exists()  # given ranges stay with the one serving


def test_an_error_inside_releases_the_loop_the_mount_and_the_server(workspace: Path, system_disk: Path) -> None:
    from workbench.disk.loop import workspace_loops

    with pytest.raises(RuntimeError, match="boom"):
        with served(system_disk, [BAD]) as disk, attached(disk):
            place = disk.parent.parent
            raise RuntimeError("boom")
    assert not workspace_loops(workspace) and not fuse_mounts(workspace) and not place.exists()


def test_writing_a_bad_sector_clears_it_and_the_image_list_remembers(workspace: Path, system_disk: Path) -> None:
    """The choice made: a drive remaps a pending sector on write, so a whole-sector write makes it good."""
    list_file = sector_list.list_path(system_disk)
    sector_list.save(list_file, BadSectors.of([BAD, SectorRange(60_000, 8)]))
    fresh = os.urandom(2048)
    with served(system_disk) as disk, attached(disk) as device:
        _direct_write(device, BAD.offset, fresh)  # the first 4 of the 8 sectors
        assert _direct_read(device, BAD.offset, 2048) == fresh
        with pytest.raises(OSError) as still_bad:
            _direct_read(device, BAD.offset + 2048, 2048)
        assert still_bad.value.errno == errno.EIO
    assert sector_list.load(list_file).ranges == (SectorRange(BAD.first_sector + 4, 4), SectorRange(60_000, 8))
    with open(system_disk, "rb") as image:
        assert os.pread(image.fileno(), 2048, BAD.offset) == fresh  # the write reached the image
    with served(system_disk) as disk, attached(disk) as device:  # served again: still good
        assert _direct_read(device, BAD.offset, 2048) == fresh


def test_a_write_over_part_of_a_bad_sector_fails(workspace: Path, system_disk: Path) -> None:
    with served(system_disk, [BAD]) as disk:
        fd = os.open(disk, os.O_WRONLY | os.O_CLOEXEC)
        try:
            with pytest.raises(OSError) as failed:
                os.pwrite(fd, b"x" * 100, BAD.offset + 10)
            assert failed.value.errno == errno.EIO
        finally:
            os.close(fd)
        assert read_errno(disk, BAD.offset, 512) == errno.EIO  # and the sector is still bad


def test_opened_serves_only_a_disk_that_has_bad_sectors(workspace: Path, system_disk: Path) -> None:
    with opened(system_disk) as path:
        assert path == system_disk and not fuse_mounts(workspace)
    sector_list.save(sector_list.list_path(system_disk), BadSectors.of([BAD]))
    with opened(system_disk) as path:
        assert path != system_disk and path.parent in fuse_mounts(workspace)
        assert read_errno(path, BAD.offset, 512) == errno.EIO


def test_only_a_detached_workspace_image_is_served(workspace: Path, system_disk: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.img"
    outside.write_bytes(b"\0" * 4096)
    with pytest.raises(SafetyError):
        with served(outside, [BAD]):
            pass
    with attached(system_disk):
        with pytest.raises(UsageError, match="attached"):
            with served(system_disk, [BAD]):
                pass
