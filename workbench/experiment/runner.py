"""Running one cell of the matrix: one strategy through one scenario, scored.

Each cell gets its own source disk, built from the same profile and seed, so
cells never disturb each other and the same seed gives the same outcomes.
A cell that fails becomes a row with ``status = failed`` and the error; the
matrix goes on.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import shutil
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .. import proc
from ..disk.layout import MiB
from ..errors import WorkbenchError
from ..faults import crash
from ..truth.manifest import Manifest, take_manifest
from ..workload.fsops import STATE_PATH
from ..workload.churn import churn
from ..workload.generate import build
from ..workload.profile import load_profile
from . import scoring
from .clock import SimClock
from .machine import Machine
from .protection import Protection
from .recovery import recover
from .registry import make_protection, strategy_spec
from .scenario import Scenario
from .strikes import PROTECTION_FAULTS, RansomCampaign, strike, strike_hours

log = logging.getLogger("workbench.experiment")


@dataclass(frozen=True)
class Cell:
    strategy: str  # a strategy name, optionally with ':variant' (mirror-sync:checksum)
    scenario: Scenario
    profile: str = "classroom"
    data_size: int | None = None
    seed: int = 1
    repetition: int = 1
    schedules: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.strategy.replace(':', '-')}__{self.scenario.name}__r{self.repetition}"


def disk_size_for(data_size: int) -> int:
    """A system disk with room for the data, its churn and an ESP, in whole MiB."""
    return max(128 * MiB, -(-(data_size * 2 + 96 * MiB) // MiB) * MiB)


def sizes_for(profile: str, data_size: int | None) -> tuple[int, int]:
    """(data bytes, source disk bytes) of a cell: the profile's default data size when none is given."""
    data = data_size or load_profile(profile).default_data_size
    return data, disk_size_for(data)


def run_cell(cell: Cell, workdir: Path, details_dir: Path | None = None) -> dict:
    """Run one cell; always returns a row (``status`` ok or failed)."""
    name, variant = strategy_spec(cell.strategy)
    row: dict = {"strategy": name, "variant": variant, "scope": "", "scenario": cell.scenario.name,
                 "repetition": cell.repetition, "seed": cell.seed, "profile": cell.profile,
                 "status": "ok", "error": ""}
    workdir.mkdir(parents=True, exist_ok=True)
    trial = _Trial(cell, workdir)
    try:
        row.update(trial.run())
    except Exception as exc:  # any bug in one cell is that cell's row; Ctrl-C still stops the matrix
        log.debug("cell %s failed", cell.label, exc_info=True)
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        trial.details["traceback"] = traceback.format_exc()
    finally:
        trial.close()
        if details_dir is not None:
            details_dir.mkdir(parents=True, exist_ok=True)
            (details_dir / f"{cell.label}.json").write_text(json.dumps(trial.details, indent=1, default=str))
        shutil.rmtree(workdir, ignore_errors=True)
    row["scope"] = trial.scope
    row["variant"] = tagged_variant(variant, trial.online_target)
    return row


def tagged_variant(variant: str, online_target: bool) -> str:
    """The row's variant: the strategy's own (``checksum``), plus ``online-target`` when the
    scenario left a target that is normally offline within the machine's reach."""
    return "+".join(v for v in (variant, "online-target" if online_target else "") if v)


class _Trial:
    """The state of one running cell."""

    def __init__(self, cell: Cell, workdir: Path) -> None:
        self.cell = cell
        self.workdir = workdir
        self.clock = SimClock()
        self.profile = load_profile(cell.profile)
        self.data_size, self.disk_size = sizes_for(cell.profile, cell.data_size)
        self.machine: Machine | None = None
        self.protection: Protection | None = None
        self._stored: list[int] = []  # bytes each protect run added to the target
        self._truth: Manifest | None = None  # the manifest of the current true state, while it lasts
        self._stale_paths: set[str] = set()  # entries of it to take again
        self.details: dict = {"cell": cell.label, "faults": [], "protect_runs": [], "recovery": {}}
        self.scope = ""
        self.online_target = False  # the scenario's targets: online put this target within ransomware's reach

    def close(self) -> None:
        if self.protection is not None:
            self.protection.detach()
        if self.machine is not None:
            self.machine.close()

    def run(self) -> dict:
        cell, scenario = self.cell, self.cell.scenario
        schedules = {**scenario.schedules, **cell.schedules}
        self.protection = protection = make_protection(
            cell.strategy, target=self.workdir / "target", scratch=self.workdir / "scratch", schedules=schedules)
        self.scope = protection.scope
        self.online_target = scenario.targets_online and protection.reachable(True) != protection.reachable(False)
        self.machine = machine = protection.make_machine(self.workdir, self.disk_size)
        build(self.profile, machine.mount(), data_size=self.data_size, seed=cell.seed, start=self.clock.start)
        protection.attach(machine)

        source_faults = [f for f in scenario.faults if f.kind not in PROTECTION_FAULTS]
        fault_hour = min((f.hour for f in source_faults), default=scenario.detect_hour)
        strikes = {}
        for spec in scenario.faults:
            for index, hour in enumerate(strike_hours(spec)):
                strikes.setdefault(hour, []).append((spec, index))
        campaigns: dict[int, RansomCampaign] = {}
        history: list[scoring.TruthState] = []
        protect_s: list[float] = []
        failures = 0
        prefault = before = None
        at_fault: dict = {}

        for hour in range(scenario.detect_hour + 1):
            self.clock.advance_to(hour)
            if 1 <= hour < fault_hour:
                day, hour_of_day = divmod(hour, 24)
                if churn(self.profile, machine.mount(), day=day, hours=[hour_of_day]).changed:
                    self._truth = None
                else:
                    self._stale_paths.add(STATE_PATH)  # a quiet hour still moves the workload's own clock
            protection.settle()
            event = protection.schedule.event(hour) if hour < scenario.detect_hour or hour == fault_hour else None
            crash_spec = next((s for s, _ in strikes.get(hour, []) if s.kind == "crash-during-protect"), None)
            runs = crash_spec is not None or bool(event and (machine.exists or hour < fault_hour))
            if runs and hour <= fault_hour:  # the state a run (even a killed one) may capture is a true one
                history.append(scoring.TruthState(hour, self._current_truth()))
            if crash_spec is not None:
                self._crash(crash_spec, protect_s)
            elif runs:
                failures += self._protect(event, protect_s)
            if hour == fault_hour and prefault is None:
                protection.settle()
                self._truth = None  # the judge's reference is always a whole, fresh manifest
                prefault = scoring.TruthState(hour, self._current_truth())
                machine.unmount()
                before = machine.facts()
                at_fault = self._space_at_fault(prefault.manifest)
            for spec, index in strikes.get(hour, []):
                if spec.kind == "crash-during-protect":
                    continue
                records = strike(
                    spec, machine, seed=cell.seed, at=self.clock.now, folders=tuple(self.profile.home_dirs),
                    reachable=(protection.target_paths() if spec.kind == "target-corruption"
                               else protection.reachable(scenario.targets_online)),
                    day_index=index, campaign=campaigns.setdefault(id(spec), RansomCampaign()),
                    settle=protection.settle)
                self.details["faults"] += [r.to_json() for r in records]
        assert prefault is not None

        remembered = {p for p, e in prefault.manifest.entries.items() if e.kind in ("file", "symlink")}
        outcome = recover(machine, protection, disk_size=self.disk_size, remembered_files=remembered,
                          disk_failing=scenario.disk_failing)
        self.details["recovery"] = {"level": outcome.level, "point": outcome.point_id, "actions": outcome.actions}
        restored = machine.manifest()
        after = machine.facts()
        row = {
            "protect_s": round(sum(protect_s), 4),
            "protect_runs": len(protect_s),
            "protect_s_median": round(statistics.median(protect_s), 4) if protect_s else math.nan,
            "protect_failures": failures,
            **at_fault,
            "rto_s": round(outcome.rto_s, 4),
            "recovery_level": outcome.level,
            "restore_point_time": outcome.point_time.isoformat() if outcome.point_time else "",
            "files_restored": outcome.files_restored,
            "damage_detected": outcome.damage_detected,
            **scoring.file_columns(prefault, history, restored),
            **scoring.health_columns(before, after),
            **scoring.watch_columns(protection.watches, protection.events, protection.propagation_delays_s),
            "fault_hour": fault_hour,
            "detect_hour": scenario.detect_hour,
        }
        self.details["watch"] = protection.events
        self.details["verdicts"] = _verdict_summary(prefault.manifest, restored, history, fault_hour)
        return row

    def _current_truth(self) -> Manifest:
        """The tree's manifest now.

        Taken whole after the workload changed files; after a quiet hour only the
        workload's state file has moved, and only its entry is taken again.
        """
        if self._truth is None:
            manifest = self.machine.manifest()
            if manifest is None:
                raise WorkbenchError("the source disk could not be read while it should be healthy")
            self._truth = manifest
        elif self._stale_paths:
            fresh = take_manifest(self.machine.mount(), include=sorted(self._stale_paths))
            self._truth = Manifest(entries={**self._truth.entries, **fresh.entries})
        self._stale_paths.clear()
        return self._truth

    def _protect(self, event: str, protect_s: list[float]) -> int:
        started = time.perf_counter()
        try:
            point = self.protection.protect(self.machine, self.clock.now, event)
        except WorkbenchError as exc:
            self.details["protect_runs"].append({"time": self.clock.now.isoformat(), "error": str(exc)})
            return 1
        elapsed = time.perf_counter() - started
        protect_s.append(elapsed)
        self._stored.append(point.stored_bytes)
        if self.protection.writes_source:
            self._truth = None
        self.details["protect_runs"].append({"time": self.clock.now.isoformat(), "point": point.id,
                                             "kind": point.kind, "seconds": round(elapsed, 4),
                                             "stored_bytes": point.stored_bytes})
        return 0

    def _crash(self, spec, protect_s: list[float]) -> None:
        """Run the next protect as a real child process and SIGKILL it part-way.

        Part-way is ``after_fraction`` of a typical run: of the bytes a run adds to
        the target when runs add bytes (the kill comes as the target grows), else of
        its seconds, counted from when the child has started up.
        """
        if self.protection.schedule.continuous or not self.protection.keeps_history and not protect_s:
            self.details["faults"].append({"kind": "crash-during-protect", "details": {"killed": False,
                                           "why": "this strategy has no protect run to interrupt"}})
            return
        fraction = float(spec.options.get("after_fraction", 0.5))
        target = self.protection.target
        stored = statistics.median(self._stored) if self._stored else 0
        source = self.protection.source_for(self.machine)
        argv = [sys.executable, "-m", "workbench.experiment.child", json.dumps({
            "strategy": self.cell.strategy, "target": str(self.workdir / "target"),
            "scratch": str(self.protection.scratch), "source": str(source), "now": self.clock.now.isoformat(),
            "event": self.protection.schedule.event(self.clock.hour) or "daily",
            "schedules": {**self.cell.scenario.schedules, **self.cell.schedules}})]
        if stored > 0 and target.is_dir():
            grown = crash.folder_bytes(target) + max(1, int(fraction * stored))
            record = crash.crash_during(argv, when_path=target, min_bytes=grown, seed=self.cell.seed,
                                        at=self.clock.now)
        else:
            typical = statistics.median(protect_s) if protect_s else 1.0
            record = crash.crash_during(argv, after_s=child_start_s() + fraction * typical, seed=self.cell.seed,
                                        at=self.clock.now)
        self.details["faults"].append(record.to_json())

    def _space_at_fault(self, manifest: Manifest) -> dict:
        protection = self.protection
        folders = protection.folders
        protected = sum(e.size for p, e in manifest.entries.items() if e.kind == "file"
                        and (not folders or any(p == f or p.startswith(f + "/") for f in folders)))
        try:
            points = len(protection.points())
            footprint, reserved = protection.footprint(), protection.reserved_bytes()
        except WorkbenchError:
            points, footprint, reserved = 0, 0, 0
        return {"points_at_fault": points, **scoring.space_columns(footprint, reserved, protected)}


@functools.lru_cache(maxsize=1)
def child_start_s() -> float:
    """How long a protect child takes to start (Python and the package's imports), measured once."""
    started = time.perf_counter()
    proc.run([sys.executable, "-c", "import workbench.experiment.child"], what="starting a protect child")
    return time.perf_counter() - started


def _verdict_summary(prefault: Manifest, restored: Manifest | None, history, fault_hour: int) -> list[dict]:
    from ..truth.judge import compare

    older = [s.manifest for s in history if s.hour < fault_hour]
    comparison = compare(prefault, restored or Manifest(entries={}), history=older)
    return [v.to_json() for v in comparison.verdicts if v.category != "intact"]
