"""The comparison engine's verdicts, each from real runs on real disks (classroom profile, small)."""

from __future__ import annotations

import pytest
from cellkit import DATA_SIZE, corrupted_paths, fault_files, missing_paths, scenario

from workbench.experiment.runner import disk_size_for
from workbench.experiment.schedule import parse_schedule
from workbench.strategies import catalog

pytestmark = [pytest.mark.root, pytest.mark.slow]

#: What each strategy covers, as docs/results.md documents the scope column.
SCOPES = {"none": "nothing", "image": "whole-disk", "clone": "whole-disk", "backup": "folders",
          "mirror-sync": "folders", "mirror-continuous": "folders", "raid1": "filesystem"}
DISK_BYTES = disk_size_for(DATA_SIZE)  # the source disk of every cell here


@pytest.fixture
def run(run):
    """Every cell here also checks its row's scope."""
    def scoped(strategy: str, scene, **options):
        row, details = run(strategy, scene, **options)
        assert row["scope"] == SCOPES[strategy.partition(":")[0]]
        return row, details

    return scoped


DELETION = scenario("deletion", [("deletion", "day 1 14:00", {"whole_folder": True})], "day 2 09:00")


@pytest.mark.parametrize("strategy", ["backup", "image"])
def test_a_deleted_folder_comes_back_from_history(run, strategy: str) -> None:
    row, details = run(strategy, DELETION)
    deleted = fault_files(details, "deletion")
    assert deleted, "the fault deleted files"
    assert row["files_missing"] == 0 and row["files_corrupted"] == 0
    assert row["came_back_clean"] and row["files_restored"] >= len(deleted)
    runs = parse_schedule(catalog.row(strategy).schedule).hours(0, DELETION.fault_hour + 1)
    # Each scheduled run up to the fault left one point (backup daily@02: hours 2 and 26 before hour 38).
    assert row["points_at_fault"] == len(runs)
    # The folder comes back as it was at the last run before the fault: up to date unless the user changed
    # or made some of it since (then as old as that run: exactly the hours from that run to the fault).
    assert row["rpo_hours"] in (0, DELETION.fault_hour - runs[-1]) and row["data_lost_for_good"] is False
    assert row["rpo_hours"] > 0 or not row["files_stale"]


def test_the_mirror_deletes_its_copy_too(run) -> None:
    row, details = run("mirror-sync", DELETION)
    deleted = fault_files(details, "deletion")
    assert missing_paths(details, "file") == deleted, "exactly the deleted files are gone, from the mirror as well"
    assert row["files_restored"] == 0


def test_a_clone_has_the_file_only_if_refreshed_before_the_deletion(run) -> None:
    before, details = run("clone", DELETION, schedules={"clone": "daily@12"})
    assert before["files_missing"] == 0
    assert before["reserved_bytes"] == DISK_BYTES, "a clone ties up a whole disk, whatever it holds"
    assert 0.9 <= before["space_amplification"] <= 1.2, "a clone stores about what the disk's filesystems hold"
    assert before["usable_bytes"] < DISK_BYTES and before["protected_bytes"] < before["usable_bytes"]
    after, details = run("clone", DELETION, schedules={"clone": "daily@20"})
    assert missing_paths(details, "file") == fault_files(details, "deletion")


SLOW_RANSOMWARE = scenario("slow-ransomware", [("ransomware", "day 1 11:00", {"fraction": 0.5, "days": 3})],
                           "day 4 09:00")


@pytest.mark.parametrize("strategy", ["backup", "image"])
def test_history_recovers_clean_from_before_the_first_strike(run, strategy: str) -> None:
    row, details = run(strategy, SLOW_RANSOMWARE)
    assert row["came_back_clean"] is True
    assert row["restore_point_time"] < "2026-01-06T11:00", "a point from before day 1's strike"
    assert row["files_corrupted"] == 0
    assert missing_paths(details) <= fault_files(details, "ransomware"), \
        "only files born after the point and then encrypted are lost"
    # What comes back unexpected is what the users deleted on purpose after the point: the listing
    # restore brought it back as missing; no encrypted file or note is left.
    restored = [p for take in details["recovery"]["restored"] if take["why"] == "missing" for p in take["paths"]]
    unexpected = {v["path"] for v in details["verdicts"] if v["category"] == "unexpected"}
    assert len(unexpected) == row["files_unexpected"]
    assert all(any(u == p or u.startswith(p + "/") for p in restored) for u in unexpected), (unexpected, restored)


@pytest.mark.parametrize("strategy", ["mirror-sync", "mirror-continuous", "raid1"])
def test_mirrors_hold_the_encrypted_files(run, strategy: str) -> None:
    row, details = run(strategy, SLOW_RANSOMWARE, schedules={"mirror-sync": "daily@23"})
    encrypted = fault_files(details, "ransomware")
    assert row["came_back_clean"] is False
    assert encrypted <= missing_paths(details) | corrupted_paths(details), "no encrypted file came back"
    unexpected = {v["path"] for v in details["verdicts"] if v["category"] == "unexpected"}
    assert {p + ".locked" for p in encrypted if len((p + ".locked").rsplit("/", 1)[-1]) <= 255} <= unexpected


# Bad sectors the disk reports: the user replaces the disk, though it still mounts.
BAD_SECTORS = scenario("bad-sectors", [("bad-sectors", "day 1 04:00", {"count": 64, "where": "files"})],
                       "day 1 04:00", disk_failing=True)


def test_a_failing_disk_is_replaced_and_only_whole_disk_copies_bring_the_system_back(run) -> None:
    image, _ = run("image", BAD_SECTORS)
    backup, _ = run("backup", BAD_SECTORS)
    assert image["recovery_level"] == backup["recovery_level"] == "disk"
    assert image["partition_table_ok"] and image["boot_ok"] and image["fsck_clean"] and image["bytes_lost"] == 0
    assert backup["files_corrupted"] == 0, "the garbage stayed on the old disk"
    assert not backup["boot_ok"], "a new disk from a file backup has no boot code of the old one"


# At night, after the nightly runs: nothing changed since, so what the strategy covers comes back whole.
PARTITION_WIPE = scenario("partition-wipe", [("partition-wipe", "day 1 04:00", {"which": "both"})], "day 1 04:00")


@pytest.mark.parametrize("strategy", ["image", "clone"])
def test_block_level_brings_the_whole_disk_back(run, strategy: str) -> None:
    row, _ = run(strategy, PARTITION_WIPE, schedules={"clone": "daily@03"})
    assert row["recovery_level"] == "disk"
    assert all(row[c] for c in ("partition_table_ok", "boot_ok", "esp_ok", "fsck_clean", "fs_uuid_ok"))
    assert row["files_missing"] == 0 and row["files_corrupted"] == 0


def test_backup_restores_the_files_but_not_the_system(run) -> None:
    row, details = run("backup", PARTITION_WIPE)
    assert row["recovery_level"] == "disk" and row["fsck_clean"]
    assert not any(row[c] for c in ("partition_table_ok", "boot_ok", "esp_ok", "fs_uuid_ok"))
    lost = missing_paths(details)
    assert lost and all(not p.startswith("home/") for p in lost), "the homes came back; the OS did not"


def test_none_rebuilds_nothing_after_a_full_wipe(run) -> None:
    row, _ = run("none", PARTITION_WIPE)
    assert not row["partition_table_ok"] and row["files_intact"] == 0


SUPERBLOCK = scenario("superblock", [("superblock", "day 1 12:00", {})], "day 1 12:00")
ONE_GPT_COPY = scenario("gpt-primary", [("partition-wipe", "day 1 12:00", {"which": "primary"})], "day 1 12:00")


@pytest.mark.parametrize("scene", [SUPERBLOCK, ONE_GPT_COPY], ids=["superblock", "one-gpt-copy"])
def test_none_repairs_what_the_disk_itself_keeps_a_copy_of(run, scene) -> None:
    """No protection, but e2fsck -b finds a backup superblock and the GPT has a backup copy."""
    row, details = run("none", scene)
    assert row["recovery_level"] == "disk" or scene is ONE_GPT_COPY
    assert row["fsck_clean"] and row["partition_table_ok"]
    assert row["files_missing"] == row["files_corrupted"] == 0, details["recovery"]


BOOT_WIPE = scenario("boot-wipe", [("boot-wipe", "day 1 12:00", {})], "day 1 12:00")


def test_an_image_brings_the_boot_code_back_and_none_does_not(run) -> None:
    image, _ = run("image", BOOT_WIPE)
    none, _ = run("none", BOOT_WIPE)
    assert image["boot_ok"] and image["recovery_level"] == "disk"
    assert not none["boot_ok"]


TARGET_CORRUPTION = scenario("target-corruption", [("target-corruption", "day 1 10:00", {"count": 64}),
                                                   ("disk-loss", "day 1 12:00", {})], "day 1 12:00")


def test_a_corrupted_repository_is_detected_not_silently_restored(run) -> None:
    row, _ = run("backup", TARGET_CORRUPTION)
    assert row["damage_detected"] is True
    assert row["came_back_clean"] is True and row["files_corrupted"] == 0


def test_a_plain_mirror_restores_rot_silently(run) -> None:
    row, _ = run("mirror-sync", TARGET_CORRUPTION)
    assert row["damage_detected"] is False
    assert row["came_back_clean"] is False and row["files_corrupted"] > 0


BITROT = scenario("bitrot", [("bitrot", "day 1 12:00", {"count": 16, "mode": "uniform"})], "day 2 09:00")
SYNC_AROUND_THE_ROT = {"mirror-sync": "daily@12+daily@20"}  # in step just before the rot, and once after


def test_a_quick_check_mirror_keeps_the_good_copy_a_checksum_mirror_copies_the_rot(run) -> None:
    quick, details = run("mirror-sync", BITROT, schedules=SYNC_AROUND_THE_ROT)
    rotten = fault_files(details, "bitrot")
    assert rotten and quick["files_corrupted"] == 0 and quick["came_back_clean"]
    assert quick["files_restored"] == len(rotten), "the user copied the good copies back from the mirror"
    checksum, details = run("mirror-sync:checksum", BITROT, schedules=SYNC_AROUND_THE_ROT)
    assert corrupted_paths(details) == fault_files(details, "bitrot") and not checksum["came_back_clean"]


def test_raid1_heals_rot_under_one_half_and_its_scrub_says_so(run) -> None:
    row, details = run("raid1", BITROT)
    assert row["reserved_bytes"] == DISK_BYTES, "the second half is a whole disk"
    assert row["space_amplification"] >= 1.9, "every byte the filesystem holds is on both halves"
    assert row["usable_bytes"] == DISK_BYTES, "btrfs says the pair holds one of its two disks"
    assert fault_files(details, "bitrot"), "bits were flipped under half A"
    assert row["files_corrupted"] == 0 and row["came_back_clean"]
    assert row["damage_detected"] is True, "the scrub found (and corrected) the bad copies"


# Small runs are quick: the kill comes at the first bytes the run adds to its target.
CRASH = scenario("crash-during-protect", [("crash-during-protect", "day 1 02:00", {"after_fraction": 0.01}),
                                          ("disk-loss", "day 1 04:00", {})], "day 1 04:00")


@pytest.mark.parametrize("strategy", ["backup", "image"])
def test_a_run_killed_mid_way_leaves_the_earlier_points_restorable(run, strategy: str) -> None:
    row, details = run(strategy, CRASH)
    crash = next(f for f in details["faults"] if f["kind"] == "crash-during-protect")
    if strategy == "backup":  # writes packs as it goes; a tiny image run may finish between two polls
        assert crash["details"]["killed"] and crash["details"]["returncode"] == -9, crash["details"]
    # The point the recovery takes is a whole one: the killed run's, if it finished writing before the kill.
    assert row["recovery_level"] == "disk" and row["restore_point_time"]
    assert row["files_corrupted"] == 0 and row["came_back_clean"] and not row["damage_detected"], (
        details["verdicts"], details["recovery"], crash)
