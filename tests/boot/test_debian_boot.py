"""The debian profile as a real computer: it boots; a wiped table or boot loader does not; an image brings it back.

Root and slow: each full boot is a minute or two of emulation (TCG), a failed
one a few seconds. One good boot (the session fixture) serves the first test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from bootkit import BOOT_TIMEOUT_S, FAIL_TIMEOUT_S, DebianDisk, GoodBoot, copy_disk, remove

from workbench.disk import health, osrecipe
from workbench.disk.boot import boot
from workbench.disk.bootcode import BOOT_LOADER_PATH
from workbench.disk.esp import read_files
from workbench.disk.mounting import mounted
from workbench.disk.oscache import cached
from workbench.disk.table import read_table
from workbench.faults.boot import wipe_boot
from workbench.faults.table import wipe_table
from workbench.strategies.image import ImageStrategy

pytestmark = [pytest.mark.root, pytest.mark.slow]
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


def test_the_debian_profile_boots_and_the_boot_leaves_the_disk_as_it_was(
        debian_workspace: DebianDisk, good_boot: GoodBoot) -> None:
    result = good_boot.result
    assert (result.verdict, result.stage, result.booted) == ("booted", "multi-user", True), result.last_lines
    assert result.last_lines[-1].startswith("WORKBENCH-BOOTED ")
    assert "WORKBENCH-BOOTED" in good_boot.console and "Welcome to GRUB!" in good_boot.console
    assert good_boot.digest_after == debian_workspace.digest  # -snapshot: the guest's writes were thrown away
    assert health.check(debian_workspace.image).ok
    loader = read_files(debian_workspace.image, read_table(debian_workspace.image).by_role("esp"))[BOOT_LOADER_PATH]
    assert loader[:2] == b"MZ" and not loader.startswith(b"MZWORKBENCH")  # a real EFI image, not the stand-in
    with mounted(debian_workspace.image, readonly=True) as root:
        assert "alice:x:1000:1000::/home/alice:/bin/bash" in (root / "etc/passwd").read_text()
        assert (root / "home/alice/Documents").stat().st_uid == 1000
        assert any((root / "home/alice/Documents").iterdir())
        assert (root / "var/lib/workbench/dataset.json").is_file()  # the profile machinery's record
        assert "UUID=" in (root / "etc/fstab").read_text() and (root / "vmlinuz").exists()


def test_a_wiped_table_fails_fast_and_the_image_restored_onto_a_new_disk_boots(
        debian_workspace: DebianDisk) -> None:
    home = debian_workspace.home
    victim = copy_disk(debian_workspace, "victim.img")
    strategy = ImageStrategy()
    strategy.protect(victim, home / "images", now=NOW)
    record = wipe_table(victim)
    assert record.details["changed_bytes"] > 0
    failed = boot(victim, timeout_s=FAIL_TIMEOUT_S)
    assert failed.verdict == "no-boot-loader", failed.last_lines  # the fast failure, not booted, not the timeout
    assert failed.stage == "firmware"
    strategy.restore(home / "images", "latest", home / "replacement.img")
    restored = boot(home / "replacement.img", timeout_s=BOOT_TIMEOUT_S)
    assert restored.verdict == "booted", restored.last_lines
    remove(victim, home / "replacement.img", home / "images")


def test_the_uefi_boot_wipe_strikes_the_esp_loader_and_the_disk_no_longer_starts(
        debian_workspace: DebianDisk) -> None:
    victim = copy_disk(debian_workspace, "loader-wiped.img")
    esp = read_table(victim).by_role("esp")
    record = wipe_boot(victim)  # the default on a UEFI disk
    assert (record.details["variant"], record.files) == ("uefi", [BOOT_LOADER_PATH])
    assert all(esp.start_bytes <= r.offset and r.end <= esp.end_bytes for r in record.ranges)
    loader = read_files(victim, esp)[BOOT_LOADER_PATH]
    assert sum(r.length for r in record.ranges) >= len(loader) and not any(loader)  # every byte of it zeroed
    with open(victim, "rb") as handle:
        assert any(handle.read(440))  # the BIOS boot code is untouched by the UEFI variant
    failed = boot(victim, timeout_s=FAIL_TIMEOUT_S)
    assert failed.verdict == "no-boot-loader", failed.last_lines
    assert wipe_boot(victim, variant="bios").details["variant"] == "bios"
    remove(victim)


def test_a_second_build_takes_the_cache_and_needs_no_network(debian_workspace: DebianDisk) -> None:
    assert cached() is not None
    offline = subprocess.run(["unshare", "-n", "cat", "/proc/net/dev"], capture_output=True, text=True, check=True)
    assert [line.split(":")[0].strip() for line in offline.stdout.splitlines()[2:]] == ["lo"]
    workbench = [sys.executable, "-m", "workbench"]
    env = {**os.environ, "WORKBENCH_QUIET": "1"}
    subprocess.run([*workbench, "disk", "create", "second.img", "--size", "1536M"], env=env, check=True)
    built = subprocess.run(["unshare", "-n", *workbench, "dataset", "build", "debian", "--disk", "second.img"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert "building one" not in built.stderr and "built debian" in built.stdout
    second = debian_workspace.home / "second.img"
    with mounted(second, readonly=True) as root:
        assert (root / "etc/hostname").read_text().strip() == osrecipe.HOSTNAME
        assert (root / "home/alice/Documents").is_dir()
    assert health.check(second).ok
    remove(second)


def test_a_debian_disk_needs_room_for_the_system(debian_workspace: DebianDisk) -> None:
    from workbench.cli.main import main
    from workbench.disk.create import create_disk

    create_disk("small.img", "system", 256 << 20)
    assert main(["dataset", "build", "debian", "--disk", "small.img"]) == 2
    assert main(["dataset", "build", "debian", "--into", "trees/debian"]) == 2
    remove(debian_workspace.home / "small.img", debian_workspace.home / "trees")
