"""The UEFI boot wipe on a small system disk: exactly the loader's clusters are zeroed, nothing else changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.disk.bootcode import BOOT_CONFIG_PATH, BOOT_LOADER_PATH
from workbench.disk.esp import read_files
from workbench.disk.fatfile import file_ranges
from workbench.disk.table import read_table
from workbench.errors import UsageError
from workbench.faults.boot import wipe_boot

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
