"""Phase 3, strike: when each of a scenario's faults strikes, and one strike at its hour.

The faults strike during the simulated hours (``simulate``), each on its hour,
at the mount state its kind needs (``experiment.strikes``). A protect run
killed part-way (``crash-during-protect``) is run by ``protect_runs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..scenario import FaultSpec, Scenario
from ..strikes import PROTECTION_FAULTS, RansomCampaign, strike_hours
from ..strikes import strike as inject
from .build import Bench

CRASH = "crash-during-protect"


@dataclass(frozen=True)
class StrikePlan:
    """The hours a scenario's faults strike, and the hours that frame them."""

    fault_hour: int  # when the damage to the user's data begins (the detection, when only the protection is struck)
    detect_hour: int
    strikes: Mapping[int, tuple[tuple[FaultSpec, int], ...]]  # hour -> (fault, its day), in the scenario's order

    def crash_at(self, hour: int) -> FaultSpec | None:
        """The protect run this hour that a crash fault kills, if one does."""
        return next((spec for spec, _ in self.strikes.get(hour, ()) if spec.kind == CRASH), None)

    def strikes_at(self, hour: int) -> tuple[tuple[FaultSpec, int], ...]:
        """The faults injected this hour (a crash is a protect run, not an injection)."""
        return tuple((spec, day) for spec, day in self.strikes.get(hour, ()) if spec.kind != CRASH)


def plan_strikes(scenario: Scenario) -> StrikePlan:
    """When each fault strikes: once, or once a day for slow ransomware (pure)."""
    source_faults = [f for f in scenario.faults if f.kind not in PROTECTION_FAULTS]
    fault_hour = min((f.hour for f in source_faults), default=scenario.detect_hour)
    strikes: dict[int, list[tuple[FaultSpec, int]]] = {}
    for spec in scenario.faults:
        for day, hour in enumerate(strike_hours(spec)):
            strikes.setdefault(hour, []).append((spec, day))
    return StrikePlan(fault_hour=fault_hour, detect_hour=scenario.detect_hour,
                      strikes={hour: tuple(specs) for hour, specs in strikes.items()})


def strike(bench: Bench, spec: FaultSpec, day: int, campaign: RansomCampaign) -> list[dict[str, Any]]:
    """Inject one fault (or one day of a slow one) now; the records of what it damaged."""
    protection, scenario = bench.protection, bench.scenario
    reachable = (protection.target_paths() if spec.kind == "target-corruption"
                 else protection.reachable(scenario.targets))
    records = inject(spec, bench.machine, seed=bench.cell.seed, at=bench.clock.now,
                     folders=tuple(bench.profile.home_dirs), reachable=reachable, day_index=day,
                     campaign=campaign, settle=protection.settle, copies=protection.tree_copies())
    return [record.to_json() for record in records]
