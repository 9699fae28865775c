"""``compare --boot-check`` on the debian profile: after a wiped partition table, which recovered disk starts?

Root and slow: three cells on 1.5 GiB disks (the OS comes from the cache), and
three boots: the image's to multi-user (a minute or two of emulation), the two
failures in seconds. What must show is the seed article's picture, measured:
the image restore boots; a backup restored onto a fresh disk has the files but
nothing that starts them; ``none`` leaves a disk the firmware finds nothing on.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from bootkit import os_cache_dir

from workbench.commands.compare import compare
from workbench.disk.oscache import CACHE_ENV

pytestmark = [pytest.mark.root, pytest.mark.slow, pytest.mark.timeout(1500)]


def test_boot_check_boots_the_image_restore_and_not_the_backup_nor_none(
        workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, os_cache_dir())
    result = compare(out=workspace / "results", profile="debian", scenarios=["partition-wipe"],
                     strategies=["image", "backup", "none"], boot_check=True, report=False, quiet=True)
    rows = {row["strategy"]: row for row in result.rows}
    assert not result.failed, [row["error"] for row in result.failed]
    cells = result.out / "cells"
    details = {name: json.loads((cells / f"{name}__partition-wipe__r1.json").read_text()) for name in rows}
    consoles = {name: (cells / f"{name}__partition-wipe__r1.boot.log").read_text(errors="replace") for name in rows}

    for name, row in rows.items():
        assert row["recovery_level"] == "disk" and row["boot_check"] == "booted", (name, details[name]["recovery"])
        assert row["boot_s"] > 0 and not math.isnan(row["boot_s"])
        assert details[name]["boot"]["seconds"] == row["boot_s"] and details[name]["phases_s"]["boot"] > 0
    image, backup, none = rows["image"], rows["backup"], rows["none"]
    assert image["boot_ok"] is True and details["image"]["boot"]["verdict"] == "booted"
    assert "WORKBENCH-BOOTED" in consoles["image"] and "Welcome to GRUB!" in consoles["image"]
    assert image["files_missing"] < image["files_intact"]  # the OS and the homes came back with it

    # A backup of the homes onto a fresh disk: the files came back, nothing that starts them did.
    # A backup of the homes onto a fresh disk: the files came back, but no OS, and no boot loader that is one
    # (the fresh disk's ESP holds the workbench's stand-in, which no firmware can run).
    assert backup["boot_ok"] is False and backup["files_intact"] > 0 and backup["files_missing"] > 0
    assert details["backup"]["boot"]["verdict"] == "no-boot-loader", details["backup"]["boot"]["last_lines"]
    assert details["backup"]["boot"]["stage"] == "firmware" and "WORKBENCH-BOOTED" not in consoles["backup"]

    assert none["boot_ok"] is False and details["none"]["boot"]["verdict"] == "no-boot-loader"
    assert details["none"]["boot"]["stage"] == "firmware" and none["files_intact"] == 0
