"""Phase 1, build the disk: the cell's strategy bound to its own target, and a fresh source disk.

Each cell gets its own source disk, built from the same profile and seed, so
cells never disturb each other and the same seed gives the same outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...workload.generate import build
from ...workload.profile import Profile
from ..cell import Cell
from ..clock import SimClock
from ..machine import Machine
from ..protection import Protection
from ..registry import make_protection
from ..scenario import Scenario


@dataclass(frozen=True)
class Bench:
    """What the later phases of a cell run on."""

    cell: Cell
    workdir: Path
    protection: Protection
    machine: Machine
    clock: SimClock
    profile: Profile
    disk_size: int

    @property
    def scenario(self) -> Scenario:
        return self.cell.scenario


def arm_protection(cell: Cell, workdir: Path) -> Protection:
    """The cell's strategy with its own target and scratch space, on the cell's schedules."""
    return make_protection(cell.strategy, target=workdir / "target", scratch=workdir / "scratch",
                           schedules=cell.all_schedules)


def target_placement(protection: Protection, scenario: Scenario) -> str:
    """How the scenario's ``targets`` moved this target from where it usually is between runs:
    ``online-target`` (normally offline, now within ransomware's reach), ``offline-target`` (normally
    attached, now only while its runs use it), or "" (where it usually is)."""
    usual = protection.reachable("offline")
    here = protection.reachable(scenario.targets)
    if here == usual:
        return ""
    return "online-target" if here else "offline-target"


def build_disk(cell: Cell, protection: Protection, workdir: Path, *, profile: Profile, data_size: int,
               disk_size: int) -> Bench:
    """The strategy's machine, with the profile's data written at the clock's start, and the strategy attached.

    A machine that fails to build is closed here; the caller detaches the protection.
    """
    clock = SimClock()
    machine = protection.make_machine(workdir, disk_size)
    try:
        build(profile, machine.mount(), data_size=data_size, seed=cell.seed, start=clock.start)
        protection.attach(machine, lambda: clock.now)
    except BaseException:
        protection.detach()
        machine.close()
        raise
    return Bench(cell=cell, workdir=workdir, protection=protection, machine=machine, clock=clock,
                 profile=profile, disk_size=disk_size)
