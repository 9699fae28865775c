"""Phase 2, simulate the hours: from the data's first hour to the hour the damage is noticed.

Every hour the users work (the profile's churn, until the fault), a continuous
mirror catches up, and a protect run comes when the strategy's schedule says
so. Each point's view of the tree is a true state of the history the scorer
judges staleness and RPO against: a scheduled run's (``held`` unless the run
failed or was killed), and, for a protection without scheduled runs, the state
of each hour it kept something (``Protection.keep``: a continuous mirror's
hours with changes applied, raid1's every hour). At the fault hour the whole
tree is taken as the judge's reference, with the disk's facts and the target's
size; then the faults strike, each on its hour (phase 3, timed as its own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...workload.churn import churn
from ...workload.fsops import STATE_PATH
from ..damage_path import RunCopy
from ..protection import Kept, Protection
from ..scoring import TruthState
from ..space import measure_space
from ..strikes import PROTECTION_FAULTS, RansomCampaign
from .build import Bench
from .ground_truth import GroundTruth
from .protect_runs import ProtectRuns
from .strike import StrikePlan, strike
from .timing import PhaseClock


@dataclass(frozen=True)
class AtFault:
    """The state the judge compares against, taken just before the first fault."""

    prefault: TruthState  # the whole root tree
    facts: dict[str, Any] | None  # the disk's facts (``Machine.facts``); None for a machine that is no disk
    space: dict[str, int | float]  # ``points_at_fault`` and the space columns


@dataclass(frozen=True)
class Lived:
    """What the simulated hours leave for recovery and scoring."""

    history: tuple[TruthState, ...]  # the true states protect runs may have captured, oldest first
    at_fault: AtFault
    protect_seconds: tuple[float, ...]  # of each run that made a point
    protect_failures: int
    fault_hour: int
    detect_hour: int
    run_copies: tuple[RunCopy, ...] = ()  # what each run recorded doing to the target (``damage_path``)
    conflicts: int = 0  # conflicts the runs met
    faults: tuple[dict[str, Any], ...] = ()  # every fault record, as the details keep them

    @property
    def prefault(self) -> TruthState:
        return self.at_fault.prefault


def simulate_hours(bench: Bench, plan: StrikePlan, details: dict[str, Any], phases: PhaseClock,
                   child_start_s: Callable[[], float]) -> Lived:
    """Run the hours ``0 .. plan.detect_hour``; protect runs and fault records go into ``details``."""
    protection, machine, clock = bench.protection, bench.machine, bench.clock
    truth = GroundTruth(machine)
    runs = ProtectRuns(bench, details["protect_runs"])
    campaigns: dict[int, RansomCampaign] = {}
    history: list[TruthState] = []
    at_fault: AtFault | None = None
    struck = False  # a fault has struck the user's data

    for hour in range(plan.detect_hour + 1):
        clock.advance_to(hour)
        kept: list[tuple[Kept, bool]] = []  # what the protection kept this hour, and whether after a fault
        if 1 <= hour < plan.fault_hour:
            _work(bench, hour, truth)
        protection.settle()
        if _keep(protection, kept, struck, clock.now) and hour <= plan.fault_hour:
            history.append(TruthState(hour, truth.now()))  # what a watcher or the pair holds now is true
        event = protection.schedule.event(hour) if hour < plan.detect_hour or hour == plan.fault_hour else None
        killed = plan.crash_at(hour)
        runs_now = killed is not None or bool(event and (machine.exists or hour < plan.fault_hour))
        seen = truth.now() if runs_now and hour <= plan.fault_hour else None  # the state a run may capture
        held = False
        if killed is not None:
            with phases.phase("strike"):
                record = runs.crash(killed, child_start_s)
            details["faults"].append(record)
            held = record["details"].get("returncode") == 0  # only a run that finished made a point
        elif event and runs_now:
            held = runs.protect(event, after_fault=struck)
            if held and protection.writes_source:
                truth.changed()  # a two-way sync may have changed the tree itself
        if seen is not None:
            history.append(TruthState(hour, seen, held=held))
        if hour == plan.fault_hour:
            at_fault = _take_fault_state(bench, truth, hour)
            _keep(protection, kept, struck, clock.now)  # a watcher stops when the disk is unmounted for the fault state
        for spec, day in plan.strikes_at(hour):
            with phases.phase("strike"):
                details["faults"] += strike(bench, spec, day, campaigns.setdefault(id(spec), RansomCampaign()))
            struck = struck or spec.kind not in PROTECTION_FAULTS
        _keep(protection, kept, struck, clock.now)  # what the strikes made a watcher copy
        runs.kept(kept)
    assert at_fault is not None, "the fault hour lies within the hours simulated"
    details["history"] = [{"hour": s.hour, "held": s.held} for s in history]
    return Lived(history=tuple(history), at_fault=at_fault, protect_seconds=tuple(runs.seconds),
                 protect_failures=runs.failures, fault_hour=plan.fault_hour, detect_hour=plan.detect_hour,
                 run_copies=tuple(runs.copies), conflicts=runs.conflicts, faults=tuple(details["faults"]))


def _keep(protection: Protection, kept: list[tuple[Kept, bool]], after_fault: bool, now: datetime) -> bool:
    """Add what the protection kept since it was last asked; whether it kept anything."""
    got = protection.keep(now)
    if got is not None:
        kept.append((got, after_fault))
    return got is not None


def _work(bench: Bench, hour: int, truth: GroundTruth) -> None:
    """The users' hour of work, as the profile's churn says."""
    day, hour_of_day = divmod(hour, 24)
    if churn(bench.profile, bench.machine.mount(), day=day, hours=[hour_of_day]).changed:
        truth.changed()
    else:
        truth.touched(STATE_PATH)  # a quiet hour still moves the workload's own clock


def _take_fault_state(bench: Bench, truth: GroundTruth, hour: int) -> AtFault:
    bench.protection.settle()
    truth.changed()  # the judge's reference is always a whole, fresh manifest
    prefault = TruthState(hour, truth.now())
    bench.machine.unmount()
    return AtFault(prefault=prefault, facts=bench.machine.facts(),
                   space=measure_space(bench.protection, bench.machine, prefault.manifest))
