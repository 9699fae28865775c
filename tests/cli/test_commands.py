"""The commands as plain functions: what a script or a notebook calls, with no argv and no printing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.commands import backup, compare, dataset, disk, fault, image, manifest, mirror
from workbench.errors import UsageError


def test_the_commands_never_import_the_cli() -> None:
    modules = ["backup", "cleanup", "clone", "common", "compare", "dataset", "disk", "fault", "image", "manifest",
               "mirror", "report"]
    code = ("import sys\n" + "".join(f"import workbench.commands.{m}\n" for m in modules)
            + "print(sorted(m for m in sys.modules if m.startswith('workbench.cli')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.replace("'", '"')) == []


def test_selections_and_overrides_are_checked_before_anything_runs() -> None:
    assert compare.strategy_selection(["backup", "mirror-sync:checksum"]) == ["backup", "mirror-sync:checksum"]
    assert compare.scenario_selection("demo") == ["deletion", "slow-ransomware", "partition-wipe", "bitrot"]
    assert compare.schedule_overrides(["clone=daily@12"]) == {"clone": "daily@12"}
    with pytest.raises(UsageError, match="no strategy 'rsync'"):
        compare.schedule_overrides({"rsync": "hourly"})
    with pytest.raises(UsageError, match="is not STRATEGY=RULE"):
        compare.schedule_overrides(["clone"])
    with pytest.raises(UsageError, match="daily@HH"):
        compare.schedule_overrides({"clone": "monthly"})
    assert dataset.parse_hours("8-10") == [8, 9, 10]


def test_file_level_strategies_from_functions(workspace: Path) -> None:
    built = dataset.dataset_build("classroom", into="tree", data_size="4M", seed=2)
    assert built.record.files > 0
    recorded = manifest.manifest("tree", out="truth.json", include=["home"])
    point = backup.backup_protect(source="tree", target="repo", folders=["home"], now="2026-02-01T09:00")
    assert point.time.isoformat() == "2026-02-01T09:00:00+00:00"
    listed = backup.backup_points(target="repo")
    assert [p.id for p in listed.points] == [point.id] and listed.footprint_bytes > 0
    assert backup.backup_verify(target="repo").ok

    synced = mirror.mirror_protect(source="tree/home", target="copy", checksum=True)
    assert (synced.strategy, synced.variant, synced.point.id) == ("mirror-sync", "checksum", "now")
    checked = mirror.mirror_verify(target="copy")
    assert checked.mode == "sync" and checked.report.ok and checked.report.checked > 0

    restored = backup.backup_restore(target="repo", to="back")
    assert restored.destination == workspace / "back" and restored.report.files > 0
    judged = manifest.compare_tree("truth.json", "back")
    assert judged.ok and judged.result.counts()["intact"] >= recorded.files > 0
    dataset.dataset_churn("classroom", into="tree", day=1, hours="8-12")
    assert not manifest.compare_tree("truth.json", "tree").ok  # the day's changes show against day 0
    with pytest.raises(UsageError, match="give one destination"):
        backup.backup_restore(target="repo")


@pytest.mark.root
def test_a_disk_is_imaged_wiped_and_restored_by_functions_alone(workspace: Path) -> None:
    made = disk.disk_create("pc.img", size="96M")
    dataset.dataset_build("classroom", disk="pc.img", data_size="4M")
    manifest.manifest("pc.img", out="truth.json")
    first = image.image_protect(disk="pc.img", target="images", now="2026-01-31T12:00", quiet=True)
    assert first.kind == "full" and [p.id for p in image.image_points(target="images").points] == [first.id]
    record = fault.fault_inject("partition-wipe", disk="pc.img", which="both", seed=3)
    assert record.kind == "partition-wipe" and record.target == str(made)
    assert not disk.disk_check("pc.img").ok
    with pytest.raises(UsageError, match="unknown option '--count' for a partition-wipe fault"):
        fault.fault_inject("partition-wipe", disk="pc.img", count=2)
    restored = image.image_restore(target="images", to="pc.img", force=True, quiet=True)
    assert restored.destination == made and disk.disk_check("pc.img").ok
    assert manifest.compare_tree("truth.json", "pc.img").ok
    assert [row.path for row in disk.disk_list()] == ["pc.img"]


@pytest.mark.root
def test_compare_returns_its_rows_and_calls_back_per_cell(workspace: Path, tmp_path: Path) -> None:
    seen = []
    result = compare.compare(out=tmp_path / "out", strategies="none", scenarios=["disk-loss"], data_size="4M",
                             report=False, quiet=True, on_cell=lambda done, total, row: seen.append((done, total)))
    assert seen == [(1, 1)] and result.report is None and not result.failed
    (row,) = result.rows
    assert (row["strategy"], row["scenario"], row["status"]) == ("none", "disk-loss", "ok")
    assert (result.out / "results.csv").exists()
