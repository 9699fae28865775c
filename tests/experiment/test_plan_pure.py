"""Schedules, scenarios and scoring: pure logic, no root."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from workbench.errors import UsageError
from workbench.experiment.matrix import portable
from workbench.experiment.registry import strategy_spec
from workbench.experiment.runner import tagged_variant
from workbench.experiment.scenario import SCENARIO_NAMES, known_scenarios, load_scenario, parse_at, select
from workbench.experiment.schedule import parse_schedule
from workbench.experiment.scoring import TruthState, file_columns, health_columns, watch_columns
from workbench.truth.manifest import Manifest, ManifestEntry


def test_weekly_full_wins_over_daily_incremental_in_the_same_hour() -> None:
    schedule = parse_schedule("weekly@01+daily@01")
    assert schedule.event(1) == "weekly"
    assert schedule.event(25) == "daily"
    assert schedule.event(1 + 24 * 7) == "weekly"
    assert schedule.event(2) is None
    assert schedule.hours(0, 72) == [1, 25, 49]


def test_continuous_and_never() -> None:
    assert parse_schedule("continuous").continuous
    assert parse_schedule("never").hours(0, 500) == []
    assert parse_schedule("hourly").hours(0, 3) == [0, 1, 2]


@pytest.mark.parametrize("bad", ["daily", "daily@24", "monthly@01", "hourly+sometimes"])
def test_bad_schedules_say_how_to_write_one(bad: str) -> None:
    with pytest.raises(UsageError, match="daily@HH"):
        parse_schedule(bad)


def test_every_named_scenario_ships_and_loads() -> None:
    assert sorted(SCENARIO_NAMES) == known_scenarios()
    for name in known_scenarios():
        scenario = load_scenario(name)
        assert scenario.detect_hour >= max(f.hour for f in scenario.faults)


def test_times_are_days_and_hours() -> None:
    assert parse_at("day 2 09:00", "x") == 57
    with pytest.raises(UsageError, match="day 2 09:00"):
        parse_at("tuesday", "x")


def test_a_malformed_scenario_names_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nfaults:\n  - kind: deletion\n    at: day 1 10:00\n    colour: red\n"
                    "detect_at: day 2 09:00\n")
    with pytest.raises(UsageError, match=r"mine.yaml:3: unknown option 'colour'"):
        load_scenario(str(path))
    path.write_text("name: mine\nfaults: []\ndetect_at: day 2 09:00\nextra: 1\n")
    with pytest.raises(UsageError, match=r"mine.yaml:4: unknown key 'extra'"):
        load_scenario(str(path))
    path.write_text("name: mine\nfaults:\n  - kind: deletion\n    at: day 3 10:00\ndetect_at: day 2 09:00\n")
    with pytest.raises(UsageError, match="noticed before the last fault"):
        load_scenario(str(path))
    path.write_text("name: mine\nfaults:\n  - kind: deletion\n    at: day 1 10:00\ndetect_at: day 2 09:00\n"
                    "noticed: smoke\n")
    with pytest.raises(UsageError, match=r"mine.yaml:6: noticed is damaged-files or failing-disk, not 'smoke'"):
        load_scenario(str(path))


def test_what_the_user_notices_comes_from_the_scenario() -> None:
    assert load_scenario("bad-sectors").disk_failing
    assert not load_scenario("bitrot").disk_failing  # rot shows as broken files; the disk seems fine


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(UsageError, match="choose from all, a, b"):
        select("a,c", ["a", "b"], "scenario")
    with pytest.raises(UsageError, match="mirror-sync"):
        strategy_spec("rsync")
    assert strategy_spec("mirror-sync:checksum") == ("mirror-sync", "checksum")
    assert strategy_spec("mirror-sync") == ("mirror-sync", "quick-check")
    with pytest.raises(UsageError, match="variants are"):
        strategy_spec("backup:checksum")


def _file(path: str, content: str) -> ManifestEntry:
    return ManifestEntry(path=path, kind="file", size=len(content), mode=0o100644, uid=0, gid=0, mtime_ns=0,
                         hash=content)


def _manifest(**files: str) -> Manifest:
    return Manifest(entries={p: _file(p, c) for p, c in files.items()})


def test_scores_separate_stale_corrupted_missing_and_unexpected() -> None:
    history = [TruthState(10, _manifest(a="a1", b="b1", c="c1"))]
    prefault = TruthState(20, _manifest(a="a2", b="b1", c="c1", d="d1"))
    restored = _manifest(a="a1", b="b1", c="ROTTEN", x="a2")
    row = file_columns(prefault, history, restored)
    assert (row["files_intact"], row["files_stale"], row["files_corrupted"], row["files_missing"],
            row["files_unexpected"]) == (1, 1, 1, 1, 1)
    assert row["bytes_lost"] == 2 + 2  # c (2 bytes expected) corrupted + d (2 bytes) missing
    assert row["came_back_clean"] is False, "ROTTEN was never a true version of any file"
    clean = file_columns(prefault, history, _manifest(a="a2", b="b1", c="c1", d="d1"))
    assert clean["came_back_clean"] is True and clean["files_intact"] == 4


def test_health_compares_against_the_disk_before_the_fault() -> None:
    before = {"partition_entries": [{"uuid": "A"}], "boot_code": "b", "esp_files": {"x": "1"}, "fs_uuid": "u",
              "fsck_clean": True}
    fresh = {"partition_entries": [{"uuid": "B"}], "boot_code": "c", "esp_files": {"x": "2"}, "fs_uuid": "v",
             "fsck_clean": True}
    assert health_columns(before, dict(before)) == {"partition_table_ok": True, "boot_ok": True, "esp_ok": True,
                                                    "fsck_clean": True, "fs_uuid_ok": True}
    assert health_columns(before, fresh) == {"partition_table_ok": False, "boot_ok": False, "esp_ok": False,
                                             "fsck_clean": True, "fs_uuid_ok": False}
    assert not any(health_columns(before, None).values())
    loader_before = {**before, "esp_files": {"EFI/BOOT/BOOTX64.EFI": "1"}}
    zeroed = {**loader_before, "esp_files": {"EFI/BOOT/BOOTX64.EFI": "0"}}
    assert health_columns(loader_before, zeroed)["boot_ok"] is False  # the boot code alone is not what UEFI runs


def test_watch_columns_sum_the_stretches_and_are_nan_without_a_watcher() -> None:
    stretches = [{"events_total": 5, "errors": []}, {"events_total": 2, "errors": ["OSError: gone"]}]
    row = watch_columns(True, stretches, [0.3, 0.1, 0.2, 0.9])
    assert (row["watch_events"], row["watch_errors"]) == (7, 1)
    assert (row["propagation_delay_median_s"], row["propagation_delay_max_s"]) == (0.25, 0.9)
    assert math.isnan(watch_columns(True, [{"events_total": 0, "errors": []}], [])["propagation_delay_max_s"])
    assert all(math.isnan(v) for v in watch_columns(False, [], []).values())


def test_a_moved_target_is_told_apart_in_the_variant_and_keeps_the_strategys_own() -> None:
    assert tagged_variant("", "") == "" and tagged_variant("", "online-target") == "online-target"
    assert tagged_variant("checksum", "online-target") == "checksum+online-target"
    assert tagged_variant("quick-check", "offline-target") == "quick-check+offline-target"


def test_saved_cell_details_name_no_path_of_the_machine_that_ran_them() -> None:
    home = Path("/home/alice/wb")
    scratch = "/home/alice/wb/experiments/ex-x-1a2b/backup__bitrot__r1/"
    text = json.dumps({"faults": [{"target": scratch + "cell/source.img"}],
                       "mount": "/home/alice/wb/.mnt/cell-source-f8", "error": "cannot read '/home/alice/wb/pc.img'",
                       "other": "/srv/data/file", "crash": f"{sys.executable} -m workbench.experiment.child"})
    details = json.loads(portable(text, "backup__bitrot__r1", home))
    assert details == {"faults": [{"target": "cell/source.img"}], "mount": "$WORKBENCH_HOME/.mnt/cell-source-f8",
                       "error": "cannot read '$WORKBENCH_HOME/pc.img'", "other": "/srv/data/file",
                       "crash": "python -m workbench.experiment.child"}
