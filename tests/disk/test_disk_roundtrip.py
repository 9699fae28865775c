"""Real loop devices: create, mount, write, re-attach, read back; health on fresh and damaged disks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from workbench.disk import bootcode, esp, health
from workbench.disk.loop import attached, loops_of
from workbench.disk.mounting import drop_caches, mounted
from workbench.disk.table import read_table

pytestmark = pytest.mark.root


def test_bytes_written_through_a_mount_come_back_after_reattaching(system_disk: Path) -> None:
    payload = os.urandom(3 << 20)
    with mounted(system_disk) as root:
        (root / "docs").mkdir()
        (root / "docs" / "report.bin").write_bytes(payload)
    assert loops_of(system_disk) == []
    drop_caches()
    with mounted(system_disk, readonly=True) as root:
        assert (root / "docs" / "report.bin").read_bytes() == payload
    assert loops_of(system_disk) == []


def test_partition_device_is_exactly_the_partition(system_disk: Path) -> None:
    part = read_table(system_disk).by_role("root")
    with attached(system_disk, part, readonly=True) as device:
        with open(device, "rb") as dev:
            dev.seek(1024 + 0x38)
            assert dev.read(2) == b"\x53\xef", "ext4 magic at the start of the root partition"
            assert dev.seek(0, os.SEEK_END) == part.size_bytes


def test_fresh_disk_is_all_green_and_the_boot_loader_reads_back(system_disk: Path) -> None:
    result = health.check(system_disk)
    assert result.ok, result.details
    assert (result.partition_table_ok, result.boot_code_ok, result.esp_ok, result.root_fsck_clean) == (
        True, True, True, True)
    files = esp.read_files(system_disk, read_table(system_disk).by_role("esp"))
    assert files[bootcode.BOOT_LOADER_PATH] == bootcode.boot_loader()


def test_data_disk_has_no_esp_and_is_healthy(data_disk: Path) -> None:
    result = health.check(data_disk)
    assert result.ok and result.esp_ok is None


def _zero(image: Path, offset: int, length: int) -> None:
    fd = os.open(image, os.O_RDWR)
    try:
        os.pwrite(fd, bytes(length), offset)
    finally:
        os.close(fd)


def _states(result: health.Health) -> tuple:
    return (result.partition_table_ok, result.boot_code_ok, result.esp_ok, result.root_fsck_clean)


def test_zeroed_partition_table_is_the_only_thing_reported(system_disk: Path) -> None:
    size = system_disk.stat().st_size
    _zero(system_disk, 446, 64)              # protective MBR entries
    _zero(system_disk, 512, 33 * 512)        # primary GPT
    _zero(system_disk, size - 33 * 512, 33 * 512)  # backup GPT
    result = health.check(system_disk)
    assert _states(result) == (False, True, None, None), result.details


def test_primary_gpt_alone_damaged_is_reported_but_readable(system_disk: Path) -> None:
    _zero(system_disk, 512, 33 * 512)
    result = health.check(system_disk)
    assert _states(result) == (False, True, True, True), result.details
    assert read_table(system_disk).by_role("root")  # the backup copy still describes the disk


def test_zeroed_boot_code_is_the_only_thing_reported(system_disk: Path) -> None:
    _zero(system_disk, 0, bootcode.BOOT_CODE_SIZE)
    result = health.check(system_disk)
    assert _states(result) == (True, False, True, True), result.details
    assert result.details["boot_code"] == "blank"


def test_zeroed_superblock_is_the_only_thing_reported(system_disk: Path) -> None:
    root = read_table(system_disk).by_role("root")
    _zero(system_disk, root.start_bytes + 1024, 1024)
    result = health.check(system_disk)
    assert _states(result) == (True, True, True, False), result.details


def test_deleted_boot_loader_is_the_only_thing_reported(system_disk: Path) -> None:
    offset = read_table(system_disk).by_role("esp").start_bytes
    subprocess.run(["mdel", "-i", f"{system_disk}@@{offset}", f"::/{bootcode.BOOT_LOADER_PATH}"],
                   env={**os.environ, "MTOOLS_SKIP_CHECK": "1"}, check=True)
    result = health.check(system_disk)
    assert _states(result) == (True, True, False, True), result.details
    assert result.details["esp"] == f"readable, but {bootcode.BOOT_LOADER_PATH} is missing"
