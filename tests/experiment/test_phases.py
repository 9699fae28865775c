"""A cell in named phases: when each fault strikes, where the wall time goes, and the row a cell ends with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cellkit import DATA_SIZE, scenario

from workbench.experiment import registry
from workbench.experiment.phases import timing
from workbench.experiment.phases.strike import plan_strikes
from workbench.experiment.phases.timing import PHASES, PhaseClock
from workbench.experiment.runner import Cell, run_cell
from workbench.results.schema import NAMES, Row


def test_a_phase_inside_another_counts_for_itself_only(monkeypatch: pytest.MonkeyPatch) -> None:
    now = iter([0.0, 2.0, 2.0, 4.0, 7.0, 10.0])
    monkeypatch.setattr(timing.time, "perf_counter", lambda: next(now))
    clock = PhaseClock()
    with clock.phase("build"):  # 0 .. 2
        pass
    with clock.phase("simulate"):  # 2 .. 10, of which 4 .. 7 striking
        with clock.phase("strike"):
            pass
    assert clock.to_json() == {"build": 2.0, "simulate": 5.0, "strike": 3.0, "recover": 0.0, "score": 0.0}
    with pytest.raises(AssertionError, match="not a phase"):
        with clock.phase("restore"):
            pass


def test_the_strike_plan_puts_each_fault_on_its_hours() -> None:
    scene = scenario("mixed", [("crash-during-protect", "day 0 05:00", {}),
                               ("target-corruption", "day 0 10:00", {}),
                               ("ransomware", "day 1 06:00", {"days": 3})], "day 3 09:00")
    plan = plan_strikes(scene)
    assert plan.fault_hour == 30, "faults on the protection do not end the users' work"
    assert plan.crash_at(5) is not None and plan.strikes_at(5) == ()
    assert [spec.kind for spec, _ in plan.strikes_at(10)] == ["target-corruption"]
    assert [(hour, day) for hour in range(80) for spec, day in plan.strikes_at(hour)
            if spec.kind == "ransomware"] == [(30, 0), (54, 1), (78, 2)]
    only_protection = plan_strikes(scenario("t", [("target-corruption", "day 0 10:00", {})], "day 0 20:00"))
    assert only_protection.fault_hour == only_protection.detect_hour == 20


MORNING_DELETION = scenario("deletion", [("deletion", "day 0 03:00", {"count": 2})], "day 0 03:00")


@pytest.mark.root
def test_a_cell_ends_with_a_schema_row_and_its_time_per_phase(run) -> None:
    row, details = run("backup", MORNING_DELETION, schedules={"backup": "daily@01"})
    assert isinstance(row, Row) and tuple(row) == NAMES
    assert set(details["phases_s"]) == set(PHASES)
    assert all(seconds > 0 for seconds in details["phases_s"].values()), details["phases_s"]


@pytest.mark.root
def test_a_failed_cell_keeps_the_time_of_the_phases_it_ran(workspace: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    make_backup = registry._FACTORIES["backup"]

    def broken_backup(target, **common):
        protection = make_backup(target, **common)

        def protect(source, target, **kwargs):
            raise KeyError("no-such-chunk")

        protection.strategy.protect = protect
        return protection

    monkeypatch.setitem(registry._FACTORIES, "backup", broken_backup)
    cell = Cell("backup", MORNING_DELETION, data_size=DATA_SIZE, schedules={"backup": "daily@01"})
    row = run_cell(cell, workspace / "cell", details_dir=tmp_path)
    assert (row["status"], row["scope"], row["files_intact"]) == ("failed", "folders", None)
    details = json.loads((tmp_path / f"{cell.label}.json").read_text())
    assert details["phases_s"]["build"] > 0 and details["phases_s"]["recover"] == 0
    assert "KeyError" in details["traceback"]
