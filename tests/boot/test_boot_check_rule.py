"""When a cell's recovered disk is booted, and what its row then says (pure: no boot runs here)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from workbench import lab
from workbench.errors import UsageError
from workbench.experiment.phases import boot_check
from workbench.experiment.phases.boot_check import NOT_BOOTED, BootCheck, needs_boot
from workbench.experiment.recovery import RecoveryOutcome

BEFORE = {"partition_entries": [{"uuid": "A"}], "boot_code": "b", "esp_files": {"EFI/BOOT/BOOTX64.EFI": "1"},
          "fs_uuid": "u", "fsck_clean": True}


def test_a_disk_is_booted_after_a_disk_level_recovery_or_when_its_boot_area_changed() -> None:
    files, disk = RecoveryOutcome(level="files"), RecoveryOutcome(level="disk")
    assert needs_boot(disk, BEFORE, dict(BEFORE))  # a restored disk, even one equal to the old
    assert not needs_boot(files, BEFORE, {**BEFORE, "fs_uuid": "other", "fsck_clean": False})
    for changed in ({"partition_entries": []}, {"boot_code": "zeros"}, {"esp_files": None}):
        assert needs_boot(files, BEFORE, {**BEFORE, **changed}), changed
    assert needs_boot(files, BEFORE, None)  # the disk is gone
    assert not needs_boot(disk, None, None)  # not a partitioned disk (raid1): nothing a firmware boots


def test_a_gone_disk_does_not_boot_and_no_emulator_is_started(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    def no_qemu(*args: object, **kwargs: object) -> None:
        raise AssertionError("booted a disk that is not there")

    monkeypatch.setattr(boot_check, "boot", no_qemu)
    gone = boot_check.boot_check(tmp_path / "gone.img", RecoveryOutcome(level="disk"), BEFORE, None, None)
    assert gone.booted is False and gone.details["verdict"] == "no-disk"
    assert boot_check.boot_check(tmp_path / "x.img", RecoveryOutcome(level="files"), BEFORE, dict(BEFORE),
                                 None) is NOT_BOOTED


def test_the_row_says_which_check_judged_boot_ok() -> None:
    assert NOT_BOOTED.columns(True)["boot_check"] == "bytes" and NOT_BOOTED.columns(True)["boot_ok"] is True
    raid1 = NOT_BOOTED.columns(math.nan)
    assert raid1["boot_check"] == "" and math.isnan(raid1["boot_s"]) and math.isnan(raid1["boot_ok"])
    booted = BootCheck(False, 12.34, {"verdict": "no-boot-loader"}).columns(True)  # the boot overrules the bytes
    assert booted == {"boot_ok": False, "boot_s": 12.3, "boot_check": "booted"}


def test_boot_check_wants_a_profile_with_an_operating_system(workspace: Path) -> None:
    from workbench.commands.compare import compare

    with pytest.raises(UsageError, match="installs no operating system"):
        compare(out=workspace / "r", profile="classroom", scenarios=["partition-wipe"], strategies=["none"],
                boot_check=True)


def test_the_shipped_boot_check_run_reads_as_notebook_01_shows_it() -> None:
    run = lab.read_results(Path(__file__).resolve().parents[2] / "examples" / "boot-check")
    rows = run.ok.set_index("strategy")
    assert dict(rows["boot_check"]) == dict.fromkeys(("image", "backup", "none"), "booted")
    assert dict(rows["boot_ok"]) == {"image": True, "backup": False, "none": False}
    boots = run.boots()
    assert dict(boots["verdict"]) == {"backup__partition-wipe__r1": "no-boot-loader",
                                      "image__partition-wipe__r1": "booted",
                                      "none__partition-wipe__r1": "no-boot-loader"}
    assert boots.loc["image__partition-wipe__r1", "last_lines"][-1].startswith("WORKBENCH-BOOTED ")
    assert {label.split("__")[0]: seconds for label, seconds in boots["seconds"].items()} == dict(rows["boot_s"])
