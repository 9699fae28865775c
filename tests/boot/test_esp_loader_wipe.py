"""The UEFI boot wipe on a small system disk: exactly the loader's clusters are zeroed, nothing else changes,
and the health check and the fault table see it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.disk import health
from workbench.disk.bootcode import BOOT_CONFIG_PATH, BOOT_LOADER_PATH
from workbench.disk.esp import read_files
from workbench.disk.fatfile import file_ranges
from workbench.disk.table import read_table
from workbench.errors import UsageError
from workbench.faults import kinds
from workbench.faults.boot import wipe_boot
from workbench.faults.registry import DiskAtRest

pytestmark = pytest.mark.root


def test_the_loader_and_only_the_loader_is_zeroed(system_disk: Path) -> None:
    esp = read_table(system_disk).by_role("esp")
    files_before = read_files(system_disk, esp)
    before = np.fromfile(system_disk, dtype=np.uint8)
    record = wipe_boot(system_disk, variant="uefi", seed=3)
    after = np.fromfile(system_disk, dtype=np.uint8)
    changed = np.flatnonzero(before != after)
    inside = np.zeros(len(before), dtype=bool)
    for r in record.ranges:
        inside[r.offset:r.end] = True
    assert changed.size == record.details["changed_bytes"] == sum(r.changed_bytes for r in record.ranges) > 0
    assert inside[changed].all() and not after[inside].any()
    files_after = read_files(system_disk, esp)
    assert files_after[BOOT_LOADER_PATH] == bytes(len(files_before[BOOT_LOADER_PATH]))
    assert files_after[BOOT_CONFIG_PATH] == files_before[BOOT_CONFIG_PATH]
    assert file_ranges(system_disk, esp, BOOT_LOADER_PATH) == [(r.offset, r.length) for r in record.ranges]
    again = wipe_boot(system_disk, variant="uefi")
    assert not again.details["changed"] and again.details["variant"] == "uefi"  # zeros on zeros, and said so


def test_the_bios_variant_stays_and_an_unknown_one_is_refused(system_disk: Path) -> None:
    record = wipe_boot(system_disk, variant="bios")
    assert record.details["variant"] == "bios" and record.ranges[0].offset == 0 and record.ranges[0].length == 440
    with pytest.raises(UsageError, match="unknown boot-wipe variant"):
        wipe_boot(system_disk, variant="coreboot")


def test_the_health_check_sees_a_zeroed_loader_that_the_fat_still_lists(system_disk: Path) -> None:
    assert health.check(system_disk).esp_ok
    wipe_boot(system_disk, variant="uefi")
    result = health.check(system_disk)
    assert (result.partition_table_ok, result.boot_code_ok, result.esp_ok, result.root_fsck_clean) == (
        True, True, False, True)
    assert "no 'MZ' header" in result.details["esp"] and not result.ok


def test_the_boot_wipe_row_strikes_the_uefi_loader_unless_told_bios(system_disk: Path) -> None:
    assert kinds.kind("boot-wipe").settings({})["variant"] == "uefi"
    [record] = kinds.strike("boot-wipe", DiskAtRest(system_disk), options={}, seed=1, at=None, folders=())
    assert record.details["variant"] == "uefi" and record.files == [BOOT_LOADER_PATH]
    [bios] = kinds.strike("boot-wipe", DiskAtRest(system_disk), options={"variant": "bios"}, seed=1, at=None,
                          folders=())
    assert bios.details["variant"] == "bios" and bios.ranges[0].offset == 0


def test_on_a_disk_without_an_esp_the_uefi_wipe_strikes_the_boot_code_and_says_so(workspace: Path) -> None:
    half = workspace / "raid1-a.img"  # a raid1 half: a filesystem from byte 0, no partition table
    half.write_bytes(b"\xeb" * 512 + bytes(1 << 20))
    record = wipe_boot(half, variant="uefi")
    assert record.details["variant"] == "bios" and record.details["no_esp"] and record.details["changed_bytes"] == 440
    assert half.read_bytes()[:512] == bytes(440) + b"\xeb" * 72
