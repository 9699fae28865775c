"""The shipped classroom matrix (``make classroom``): every strategy x every scenario, and what it shows.

The run is too long for the suite (210 cells, about two hours), so the suite reads the shipped
results: the plan is whole, no cell failed, every row has its cell record, and the lessons the
measures were made true for (issue 11) hold on these real cells.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from workbench.advice.claims import NO_DATA, UNTESTABLE, judge_claims, load_claims
from workbench.experiment.scenario import known_scenarios
from workbench.results.schema import SCHEMA_VERSION
from workbench.results.store import load_results
from workbench.strategies.catalog import names

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "classroom"


@pytest.fixture(scope="module")
def matrix() -> pd.DataFrame:
    if not (EXAMPLE / "results.csv").exists():
        pytest.skip("needs the shipped examples/classroom (make classroom)")
    frame, _ = load_results(EXAMPLE)
    engine = frame["engine"].fillna("workbench")
    frame["name"] = [s if e == "workbench" else f"{s}/{e}" for s, e in zip(frame["strategy"], engine)]
    return frame


def _cell(matrix: pd.DataFrame, strategy: str, scenario: str) -> pd.Series:
    rows = matrix[(matrix["name"] == strategy) & (matrix["scenario"] == scenario)]
    assert len(rows) == 1, f"{strategy} x {scenario}: {len(rows)} rows"
    return rows.iloc[0]


def test_the_matrix_is_every_strategy_by_every_scenario_of_this_schema(matrix: pd.DataFrame) -> None:
    record = json.loads((EXAMPLE / "run.json").read_text())
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["strategies"] == list(names()) and record["scenarios"] == known_scenarios()
    cells = set(zip(matrix["name"], matrix["scenario"]))
    assert cells == {(s, c) for s in names() for c in known_scenarios()} and len(matrix) == len(cells)


def test_no_cell_failed_and_every_row_has_its_cell_record(matrix: pd.DataFrame) -> None:
    failed = matrix.loc[matrix["status"] != "ok", ["strategy", "scenario", "error"]]
    assert failed.empty, failed.to_string()
    records = list((EXAMPLE / "cells").glob("*.json"))
    assert len(records) == len(matrix)


def test_space_is_judged_as_stored(matrix: pd.DataFrame) -> None:
    amplification = matrix.groupby("name")["space_amplification"].median()
    assert amplification["raid1"] >= 1.9, "a second disk stores the data twice"
    assert 0.9 <= amplification["clone"] <= 1.2, "a clone stores the used blocks once, uncompressed"
    assert amplification["backup"] < amplification["mirror-sync"], "deduplicated and compressed"


def test_a_synced_deletion_is_lost_for_good_and_a_point_in_time_strategy_has_a_finite_rpo(
        matrix: pd.DataFrame) -> None:
    for strategy in ("none", "mirror-sync", "mirror-continuous", "raid1"):
        cell = _cell(matrix, strategy, "deletion")
        assert cell["rpo_hours"] == float("inf") and bool(cell["data_lost_for_good"]), strategy
    for strategy in ("image", "backup", "clone", "backup/restic", "backup/borg"):
        cell = _cell(matrix, strategy, "deletion")
        assert 0 < cell["rpo_hours"] < float("inf") and not bool(cell["data_lost_for_good"]), strategy


def test_a_mirror_copies_ransomware_itself_only_when_its_target_was_offline(matrix: pd.DataFrame) -> None:
    assert _cell(matrix, "mirror-sync", "ransomware-offline-mirror")["target_damage_by"] == "propagation"
    assert _cell(matrix, "mirror-sync", "ransomware")["target_damage_by"] == "attack"


def test_the_claims_the_matrix_covers_get_a_verdict(matrix: pd.DataFrame) -> None:
    verdicts = judge_claims(matrix, load_claims()).set_index("id")["verdict"]
    tested = verdicts[~verdicts.isin([UNTESTABLE, NO_DATA])]
    assert {"mirror-copies-damage", "backup-keeps-versions", "raid1-halves-capacity",
            "image-restores-whole-system"} <= set(tested.index), verdicts.to_dict()
