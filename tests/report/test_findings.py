"""The findings, timelines and "which tool" table of a frozen results table (tests/report/frozen/).

The frozen folder is a real comparison (classroom profile, seed 1: four backup engines, two
mirror engines, an image and no protection, on a deletion, ransomware and target corruption),
kept with the protect runs and fault times of its cells/ details. Changing one cell of it
changes the finding that rests on that cell.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from workbench.report import plots
from workbench.report.findings import findings, most_back
from workbench.report.html import svg
from workbench.report.timeline import lanes, read_details
from workbench.report.which_tool import compared_families, which_tool
from workbench.results.store import load_results

FROZEN = Path(__file__).parent / "frozen"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def frozen() -> pd.DataFrame:
    frame, _record = load_results(FROZEN)
    return frame


def _text(frame: pd.DataFrame, key: str) -> str:
    return next(f.text for f in findings(frame).sentences if f.key == key)


def _changed(frame: pd.DataFrame, strategy: str, engine: str, scenario: str, **values: object) -> pd.DataFrame:
    out = frame.copy()
    where = (out["strategy"] == strategy) & (out["engine"] == engine) & (out["scenario"] == scenario)
    assert where.sum() == 1
    for column, value in values.items():
        out[column] = out[column].astype(object)
        out.loc[where, column] = value
    return out


def test_the_findings_say_what_the_table_shows(frozen: pd.DataFrame):
    found = findings(frozen)
    assert [f.key for f in found.sentences] == ["most-back", "damage-back", "fastest", "space"]
    assert "backup under all 3 faults" in _text(frozen, "most-back")
    assert "mirror-sync under ransomware and target-corruption" in _text(frozen, "damage-back")
    assert "backup/restic under target-corruption" in _text(frozen, "damage-back")
    assert _text(frozen, "fastest").startswith("Of the recoveries that brought the most back, backup's were")
    assert _text(frozen, "space").startswith("image kept its copies in the least space")
    best = most_back(found_summary(frozen))
    assert ("backup", "target-corruption") in set(zip(best["label"], best["scenario"]))
    # every finding links to cells that ran
    ran = set(zip(frozen["strategy"], frozen["scenario"]))
    assert all((label.split("/")[0], scenario) in ran for f in found.sentences for label, scenario in f.cells)


def found_summary(frame: pd.DataFrame) -> pd.DataFrame:
    from workbench.report import tables

    return tables.summary(frame)


def test_one_cell_changes_the_finding_that_rests_on_it(frozen: pd.DataFrame):
    dirty = _changed(frozen, "backup", "workbench", "target-corruption", came_back_clean=False)
    assert "backup under all 3 faults" not in _text(dirty, "most-back")
    assert "backup under target-corruption" in _text(dirty, "damage-back")
    assert _text(dirty, "space") == _text(frozen, "space")  # space rests on other columns

    slow = _changed(frozen, "backup", "workbench", "target-corruption", rto_s=500.0)
    assert not _text(slow, "fastest").startswith("Of the recoveries that brought the most back, backup's")
    assert "backup/rsnapshot's were the fastest" in _text(slow, "fastest")


def test_a_failed_cell_is_a_finding(frozen: pd.DataFrame):
    failed = _changed(frozen, "image", "workbench", "ransomware", status="failed", error="boom")
    text = _text(failed, "failed")
    assert text.startswith("1 of 24 runs failed (image / ransomware)")


def test_without_needs_the_tradeoffs_list_every_contender(frozen: pd.DataFrame):
    table = findings(frozen).tradeoffs
    assert "none" not in set(table["strategy"])
    row = table.set_index("strategy").loc["backup"]
    assert (row["most_back"], row["scenarios"]) == (3, 3)
    assert table.set_index("strategy").loc["mirror-sync", "most_back"] == 0


def test_the_timeline_ticks_are_the_rows_protect_runs(frozen: pd.DataFrame):
    details = read_details(FROZEN)
    assert len(details) == len(frozen)
    for scenario in frozen["scenario"].unique():
        rows = frozen[frozen["scenario"] == scenario]
        drawn = lanes(frozen, scenario, details)
        assert len(drawn) == len(rows)
        for lane in drawn:
            assert lane.runs_known
            assert len(lane.protect_hours) == lane.protect_runs
            assert all(0 <= hour <= lane.detect_hour for hour in lane.protect_hours)
            row = rows[(rows["strategy"] + rows["engine"].map(lambda e: "" if e == "workbench" else "/" + e))
                       == lane.label].iloc[0]
            assert lane.protect_runs == row["protect_runs"]
            assert lane.fault_hour == row["fault_hour"] and lane.detect_hour == row["detect_hour"]
            if pd.notna(row["rpo_hours"]):
                assert lane.restore_hour == row["fault_hour"] - row["rpo_hours"]
        picture = ET.fromstring(svg(plots.timeline(drawn, scenario)))
        for y, lane in enumerate(drawn):
            group = picture.find(f".//{SVG}g[@id='ticks-{y}']")
            assert group is not None and len(group.findall(f".//{SVG}use")) == len(lane.protect_hours)


def test_a_timeline_without_details_still_places_the_fault(frozen: pd.DataFrame):
    drawn = lanes(frozen, "deletion", {})
    assert all(not lane.runs_known and lane.protect_hours == () for lane in drawn)
    assert {lane.fault_hour for lane in drawn} == {38.0}


def test_which_tool_puts_a_familys_engines_side_by_side(frozen: pd.DataFrame):
    assert compared_families(frozen) == ["backup", "mirror"]
    table = which_tool(frozen)
    assert list(dict.fromkeys(table["label"])) == ["backup", "backup/restic", "backup/borg", "backup/rsnapshot",
                                                  "mirror-sync", "mirror-sync/rsync"]
    assert len(table) == 6 * 3
    cell = table.set_index(["label", "scenario"])
    assert cell.loc[("backup/restic", "target-corruption"), "damage_detected"] == 1.0
    assert cell.loc[("mirror-sync", "target-corruption"), "damage_detected"] == 0.0
    quiet = _changed(frozen, "backup", "restic", "target-corruption", damage_detected=False)
    assert which_tool(quiet).set_index(["label", "scenario"]).loc[("backup/restic", "target-corruption"),
                                                                   "damage_detected"] == 0.0
    ours = frozen[frozen["engine"] == "workbench"]
    assert which_tool(ours).empty  # one engine per family: nothing to compare
