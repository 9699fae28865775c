"""Summary tables: medians and ranges over repetitions, failed repetitions counted but never averaged."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from workbench.report import tables


def cell(summary: pd.DataFrame, label: str, scenario: str) -> pd.Series:
    found = summary[(summary["label"] == label) & (summary["scenario"] == scenario)]
    assert len(found) == 1, f"{label}/{scenario}: {len(found)} rows"
    return found.iloc[0]


def test_timings_are_median_and_range_over_ok_repetitions(tiny_frame):
    summary = tables.summary(tiny_frame)
    deletion = cell(summary, "backup", "deletion")
    assert (deletion["repetitions"], deletion["failed"]) == (2, 0)
    assert (deletion["rto_s_median"], deletion["rto_s_min"], deletion["rto_s_max"]) == (5.0, 4.0, 6.0)
    ransomware = cell(summary, "backup", "ransomware")
    assert (ransomware["repetitions"], ransomware["failed"]) == (2, 1)
    assert ransomware["rto_s_median"] == ransomware["rto_s_max"] == 3.0  # the failed repetition is left out


def test_intact_fraction_counts_stale_bytes_as_not_intact(tiny_frame):
    summary = tables.summary(tiny_frame)
    assert cell(summary, "backup", "deletion")["intact_fraction"] == pytest.approx(0.75)
    assert cell(summary, "backup", "ransomware")["intact_fraction"] == pytest.approx(0.5)
    assert cell(summary, "mirror-sync:quick-check", "deletion")["intact_fraction"] == 0.0


def test_variants_get_their_own_cells_only_when_several_were_compared(tiny_frame):
    labels = set(tables.summary(tiny_frame)["label"])
    assert labels == {"backup", "mirror-sync:quick-check", "mirror-sync:checksum"}
    single = tiny_frame[tiny_frame["variant"] != "checksum"]
    assert set(tables.summary(single)["label"]) == {"backup", "mirror-sync"}


def test_checks_are_shares_and_missing_values_stay_missing(tiny_frame):
    summary = tables.summary(tiny_frame)
    checksum = cell(summary, "mirror-sync:checksum", "deletion")
    assert checksum["fsck_clean"] == 0.0 and checksum["boot_ok"] == 1.0 and checksum["came_back_clean"] == 0.0
    assert math.isnan(checksum["rpo_hours"])
    assert math.isinf(cell(summary, "mirror-sync:quick-check", "deletion")["rpo_hours"]), "lost stays unbounded"
    assert [tables.rpo_text(h) for h in (math.inf, math.nan, 2.0)] == ["lost", "–", "2.0"]


def test_pivot_keeps_canonical_strategy_order_and_holes(tiny_frame):
    grid = tables.pivot(tables.summary(tiny_frame), "intact_fraction")
    assert list(grid.index) == ["backup", "mirror-sync:quick-check", "mirror-sync:checksum"]
    assert list(grid.columns) == ["deletion", "ransomware"]
    assert math.isnan(grid.loc["mirror-sync:checksum", "ransomware"])  # never run


def test_failures_list_the_error(tiny_frame):
    failed = tables.failures(tiny_frame)
    assert failed.to_dict("records") == [{"label": "backup", "scenario": "ransomware", "repetition": 2,
                                          "error": "restore <failed>: disk full"}]


def test_flags_read_as_csv_writes_them():
    flags = tables.as_flag(pd.Series([True, False, "True", "False", None, math.nan]))
    assert flags.iloc[:4].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert flags.iloc[4:].isna().all()


def test_median_range_text():
    assert tables.median_range(5.0, 4.0, 6.0) == "5.0 (4.0–6.0)"
    assert tables.median_range(3.0, 3.0, 3.0) == "3.0"
    assert tables.median_range(math.nan, math.nan, math.nan) == "–"


def test_cell_ids_are_safe_and_distinct():
    ids = {tables.cell_id(label, scenario) for label in ("mirror-sync", "mirror-sync:checksum", "backup")
           for scenario in ("deletion", "slow-ransomware")}
    assert len(ids) == 6
    assert all(i.replace("-", "").isalnum() for i in ids)
