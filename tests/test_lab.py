"""``workbench.lab``, the notebooks' one import: its pure parts without root, then one disk's whole story as root."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from workbench import lab
from workbench.errors import UsageError
from workbench.lab.copies import _KINDS
from workbench.report import tables
from workbench.strategies import catalog
from workbench.strategies.base import RestorePoint
from workbench.strategies.mirror.record import SYNC_NAME
from workbench.truth.manifest import take_manifest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "classroom"
MONDAY = datetime(2026, 1, 5, tzinfo=UTC)


# -- the API itself ----------------------------------------------------------------------------------------

def test_every_public_name_exists_is_documented_and_typed():
    assert len(lab.__all__) == len(set(lab.__all__))
    for name in lab.__all__:
        value = getattr(lab, name)
        if inspect.isfunction(value) and value.__module__.startswith("workbench.lab"):
            assert value.__doc__, name
            signature = inspect.signature(value)
            assert signature.return_annotation is not inspect.Signature.empty, name
            assert all(p.annotation is not inspect.Parameter.empty for p in signature.parameters.values()), name
    assert "lab.strategy" in lab.__doc__ and "lab.judge" in lab.__doc__  # the module docstring is the tutorial


def test_lab_knows_every_strategy_the_registry_names():
    """Every strategy of the table, the real tools' engines included."""
    assert set(_KINDS) == {row.name for row in catalog.STRATEGIES}


def test_strategy_binds_an_engine_to_its_target_and_checks_the_name(workspace: Path):
    backup = lab.strategy("backup", "copies/backup")
    assert backup.target == workspace / "copies" / "backup"
    assert (backup.reads, backup.folder, backup.holds, backup.covers) == ("root", "home", "", "home/")
    assert backup.engine.selection.folders == ("home",)
    checked = lab.strategy("mirror-sync:checksum", "m", folder="/home/alice/")
    assert (checked.name, checked.variant, checked.engine.checksum) == ("mirror-sync", "checksum", True)
    assert checked.holds == "home/alice" and SYNC_NAME in checked.left_out
    assert lab.strategy("image", "i").covers == "the whole disk"
    assert lab.strategy("raid1", "r", half_bytes=lab.RAID1_MIN_BYTES).engine.half_bytes == lab.RAID1_MIN_BYTES
    with pytest.raises(UsageError, match="unknown strategy 'tape'"):
        lab.strategy("tape", "t")
    with pytest.raises(UsageError, match="unknown variant"):
        lab.strategy("image:checksum", "t")
    with pytest.raises(UsageError, match="outside the workspace"):
        lab.strategy("image", "/")


class _Points:
    """An engine that holds three points, a day apart."""

    scope = "folders"

    def points(self, target: Path) -> list[RestorePoint]:
        return [RestorePoint(f"p{day}", MONDAY + timedelta(days=day), "full") for day in range(3)]


def test_point_before_goes_back_to_the_newest_point_before_the_damage(workspace: Path):
    copy = lab.Copy("backup", "", _Points(), workspace / "b", "home", "root")
    assert copy.point_before(MONDAY + timedelta(days=1, hours=14)).id == "p1"
    assert copy.point_before(MONDAY + timedelta(days=9)).id == "p2"
    with pytest.raises(UsageError, match="no point from before"):
        copy.point_before(MONDAY)


def test_use_workspace_sets_the_home_and_empties_the_notebooks_folder(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "elsewhere"))
    folder = lab.use_workspace(tmp_path / "ws", fresh="tour")
    assert os.environ["WORKBENCH_HOME"] == str(tmp_path / "ws")
    assert folder == (tmp_path / "ws" / "tour").resolve() and folder.is_dir()
    (folder / "left-over.img").write_bytes(b"x")
    (tmp_path / "ws" / "other").mkdir()
    assert not any(lab.use_workspace(tmp_path / "ws", fresh="tour").iterdir())
    assert (tmp_path / "ws" / "other").is_dir()  # only the notebook's own folder is emptied
    for bad in ("", "..", "a/b", "/tmp", ".mnt"):
        with pytest.raises(UsageError, match="plain folder name"):
            lab.use_workspace(tmp_path / "ws", fresh=bad)


def test_stopwatch_and_hexdump():
    with lab.stopwatch() as clock:
        assert clock.seconds == 0.0
        sum(range(1000))
    assert clock.seconds > 0
    dump = lab.hexdump(b"Hello, disk!\x00\xff" + bytes(range(4)), width=8).splitlines()
    assert dump[0] == "00000000  48 65 6c 6c 6f 2c 20 64  Hello, d"
    assert dump[1] == "00000008  69 73 6b 21 00 ff 00 01  isk!...."
    assert dump[2].startswith("00000010  02 03") and dump[2].endswith(" ..")


# -- the judge on plain folders (no root) -----------------------------------------------------------------

def _tree(root: Path) -> Path:
    (root / "home" / "alice").mkdir(parents=True)
    (root / "home" / "alice" / "notes.txt").write_text("exam on friday\n")
    (root / "home" / "alice" / "photo.jpg").write_bytes(os.urandom(3000))
    (root / "etc").mkdir()
    (root / "etc" / "hostname").write_text("pc\n")
    return root


def test_judge_reads_a_folder_laid_out_like_the_disk(tmp_path: Path):
    source = _tree(tmp_path / "disk")
    truth = lab.Truth(take_manifest(source / "home"), "home")
    restored = shutil.copytree(source, tmp_path / "restored", symlinks=True, copy_function=shutil.copy2)
    assert lab.judge(truth, restored).ok
    (restored / "home" / "alice" / "notes.txt").write_text("exam on monday\n")
    (restored / "home" / "alice" / "photo.jpg").unlink()
    counts = lab.judge(truth, restored).counts()
    assert (counts["corrupted"], counts["missing"]) == (1, 1)
    with pytest.raises(UsageError, match="no folder 'home'"):
        lab.judge(truth, tmp_path / "disk" / "etc")


def test_judge_reads_a_mirror_in_place_without_its_own_records(workspace: Path):
    source = _tree(workspace / "disk")
    truth = lab.Truth(take_manifest(source / "home"), "home")
    mirror = lab.strategy("mirror-sync", "mirror")
    mirror.engine.protect(source / "home", mirror.target, now=MONDAY)  # what copy.protect does on a mounted disk
    assert (mirror.target / SYNC_NAME).exists()
    verdict = lab.judge(truth, mirror)
    assert verdict.ok and verdict.counts()["unexpected"] == 0  # the mirror's record is not the user's file
    (mirror.target / "alice" / "notes.txt.locked").write_text("gibberish")
    assert lab.judge(truth, mirror).counts()["unexpected"] == 1
    deeper = lab.Truth(take_manifest(source / "home" / "alice"), "home/alice")
    assert lab.judge(deeper, mirror).counts()["unexpected"] == 1
    with pytest.raises(UsageError, match="holds only 'home'"):
        lab.judge(lab.Truth(take_manifest(source), ""), mirror)
    with pytest.raises(UsageError, match="cannot be read in place"):
        lab.judge(truth, lab.strategy("backup", "backup"))


# -- results (no root) -------------------------------------------------------------------------------------

@pytest.mark.skipif(not (EXAMPLE / "results.csv").exists(), reason="needs the shipped examples/classroom")
def test_results_read_the_shipped_example():
    run = lab.load_results(None)
    assert run.folder == EXAMPLE and run.note == ""
    assert 0 < len(run.ok) <= len(run.rows)
    assert set(run.ok["status"]) == {"ok"}
    record = json.loads((EXAMPLE / "run.json").read_text())
    assert str(EXAMPLE) in run.describe() and f"{len(run.rows)} rows" in run.describe()
    assert record["profile"] in run.describe()
    grid = lab.cell_grid(run.rows, "intact_fraction")
    pd.testing.assert_frame_equal(grid, tables.pivot(tables.summary(run.rows), "intact_fraction"))
    # one row a strategy (by engine: backup/restic), or one a variant where the table holds several
    # (mirror-sync:quick-check+offline-target)
    assert {label.partition(":")[0].partition("/")[0] for label in grid.index} == set(run.rows["strategy"])
    assert [p.name for p in run.details_files("backup", "deletion")] == ["backup__deletion__r1.json"]  # cells/ ship


def test_details_files_pick_every_variant_of_one_cell_and_no_other_engine(tmp_path: Path):
    cells = tmp_path / "cells"
    cells.mkdir()
    for label in ("mirror-sync__deletion__r1", "mirror-sync-checksum__deletion__r1", "mirror-sync__bitrot__r1",
                  "backup__deletion__r1", "mirror-sync-rsync__deletion__r1",
                  "mirror-sync-rsync-checksum__deletion__r1"):
        (cells / f"{label}.json").write_text("{}")
    run = lab.Results(tmp_path, pd.DataFrame({"status": []}), {})
    assert [p.name for p in run.details_files("mirror-sync", "deletion")] == [
        "mirror-sync-checksum__deletion__r1.json", "mirror-sync__deletion__r1.json"]
    assert [p.name for p in run.details_files("mirror-sync/rsync", "deletion")] == [
        "mirror-sync-rsync-checksum__deletion__r1.json", "mirror-sync-rsync__deletion__r1.json"]


# -- one disk's whole story (root) -------------------------------------------------------------------------

@pytest.mark.root
def test_make_build_protect_strike_recover_judge(workspace: Path):
    disk = lab.make_disk("pc.img", "128M")
    assert lab.health(disk).ok
    made = lab.build(disk, "classroom", data_size="8M", seed=3)
    truth, homes = lab.ground_truth(disk), lab.ground_truth(disk, "home")
    assert made.files > 0 and len(truth.files) >= made.files and 0 < len(homes.files) < len(truth.files)
    assert all(not e.path.startswith("home/") for e in homes.files)  # paths relative to the folder
    image, mirror = lab.strategy("image", "image"), lab.strategy("mirror-sync", "mirror")
    image.protect(disk, now=MONDAY)
    mirror.protect(disk, now=MONDAY)
    assert [p.kind for p in image.points()] == ["full"] and image.footprint() > 0
    assert lab.judge(homes, mirror).ok

    record = lab.strike("ransomware", disk, seed=3, fraction=0.5, at=MONDAY + timedelta(hours=15))
    assert record.kind == "ransomware" and record.files
    mirror.protect(disk, now=MONDAY + timedelta(hours=23))  # the mirror copies the damage overnight
    damaged = lab.judge(homes, mirror).counts()
    assert damaged["missing"] >= len(record.files) and damaged["unexpected"] >= len(record.files)

    wipe = lab.strike("partition-wipe", disk)
    assert wipe.kind == "partition-wipe" and not lab.health(disk).ok
    with pytest.raises(lab.WorkbenchError):
        with lab.mounted(disk):
            pass
    image.restore(disk, "latest", force=True)
    assert lab.health(disk).ok
    verdict = lab.judge(truth, disk)
    assert verdict.ok and verdict.counts()["intact"] == len(truth.manifest.entries)


def _tutorial() -> str:
    """The first code block of lab's module docstring: the indented lines after the first '::'."""
    lines = []
    for line in lab.__doc__.split("::\n", 1)[1].splitlines():
        if line.strip() and not line.startswith("    "):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines))


@pytest.mark.root
def test_the_tutorial_in_the_docstring_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    code = _tutorial()
    assert "lab.judge(truth, disk)" in code and "lab.strike" in code
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "unused"))
    namespace: dict = {}
    exec(compile(code.replace("/tmp/my-lab", str(tmp_path / "lab")), "lab tutorial", "exec"), namespace)
    assert os.environ["WORKBENCH_HOME"] == str(tmp_path / "lab")
    assert lab.judge(namespace["truth"], namespace["disk"]).ok and lab.health(namespace["disk"]).ok
