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


def test_a_finished_run_of_the_same_matrix_is_reused_without_running(workspace: Path, monkeypatch):
    """No root needed: the folder already holds that run, so nothing is measured again."""
    import json

    from workbench.advice import explore

    def must_not_run(*args, **kwargs):
        raise AssertionError("the matrix ran again")

    monkeypatch.setattr(explore, "run_matrix", must_not_run)

    folder = workspace / "explorer-run"
    folder.mkdir()
    record = {"profile": "classroom", "data_size_bytes": 8 << 20, "seed": 1, "strategies": ["none", "backup"],
              "scenarios": ["deletion"], "finished": "2026-01-01T00:00:00+00:00"}
    (folder / "run.json").write_text(json.dumps(record))
    assert explore.run_comparison("explorer-run", strategies=("none", "backup"), scenarios=("deletion",),
                                  data_size=8 << 20) == folder
    record["finished"] = ""  # an unfinished run is measured again
    (folder / "run.json").write_text(json.dumps(record))
    with pytest.raises(Exception, match="ran again|root"):  # as root it tries to run; else it asks for root
        explore.run_comparison("explorer-run", strategies=("none", "backup"), scenarios=("deletion",),
                               data_size=8 << 20)


def test_explorer_reads_the_folder_or_the_shipped_example_and_never_measures(workspace: Path, monkeypatch):
    from workbench.advice import explore

    def must_not_run(*args, **kwargs):
        raise AssertionError("reading measured")

    monkeypatch.setattr(explore, "can_measure", lambda: True)  # not even as root
    monkeypatch.setattr(explore, "run_matrix", must_not_run)
    source = explore.explorer_results(None)
    assert source.folder == explore.EXAMPLE_RESULTS and (source.folder / "results.csv").exists()
    assert source.note.startswith("Showing the shipped example results") and "as root" in source.note
    given = explore.explorer_results(workspace)
    assert (given.folder, given.note) == (workspace, "")
    monkeypatch.setattr(explore, "EXAMPLE_RESULTS", workspace / "absent")
    with pytest.raises(UsageError, match="no results to explore"):
        explore.explorer_results(None)


def test_measuring_a_workload_runs_the_explorer_strategies_on_the_threats(workspace: Path, monkeypatch):
    from workbench.advice import explore

    asked = {}

    def fake_run(out, **options):
        asked.update(options, out=out)
        return workspace / out

    monkeypatch.setattr(explore, "run_comparison", fake_run)
    folder = explore.measure_workload(profile="classroom", data_size="8M", change_factor=2.0, threats=["ransomware"])
    assert folder == workspace / asked["out"]
    assert asked["scenarios"] == ["ransomware"] and asked["data_size"] == 8 << 20
    assert asked["strategies"] == explore.EXPLORER_STRATEGIES
    assert load_profile(asked["profile"]).churn != load_profile("classroom").churn  # the scaled copy
    with pytest.raises(UsageError, match="at least one threat"):
        explore.measure_workload(profile="classroom", data_size="8M", change_factor=1.0, threats=[])
