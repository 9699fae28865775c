"""The explorer's change-rate knob: a scaled copy of a profile, written in the workspace (no root)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.advice.explore import results_folder, scaled_profile
from workbench.errors import UsageError
from workbench.workload.profile import load_profile


def test_scaled_profile_multiplies_churn_and_stays_in_the_workspace(workspace: Path):
    original = load_profile("classroom")
    path = scaled_profile("classroom", 2.0)
    assert Path(path).resolve().is_relative_to(workspace)
    doubled = load_profile(path)
    assert len(doubled.churn) == len(original.churn)
    for before, after in zip(original.churn, doubled.churn):
        assert (before.op, before.where) == (after.op, after.where)
        if before.rate is not None:
            assert after.rate == pytest.approx(min(1.0, before.rate * 2))
        if before.count is not None:
            assert after.count == before.count * 2
    assert doubled.groups == original.groups  # only the churn changes


def test_scaled_profile_edge_cases(workspace: Path):
    assert scaled_profile("classroom", 1) == "classroom"
    with pytest.raises(UsageError, match="above 0"):
        scaled_profile("classroom", 0)
    counted = [op.count for op in load_profile(scaled_profile("classroom", 0.1)).churn if op.count is not None]
    assert counted and min(counted) == 1  # a count never drops to zero


def test_results_folder_prefers_what_it_is_given(tmp_path: Path):
    assert results_folder(tmp_path) == tmp_path
