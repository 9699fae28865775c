"""Phase 1, build the disk: the cell's strategy bound to its own target, and a fresh source disk.

Each cell gets its own source disk, built from the same profile and seed, so
cells never disturb each other and the same seed gives the same outcomes. A
profile with an operating system (``os: debian``) gets it installed under the
generated homes, from the OS cache, as ``dataset build`` does: the disk then
boots, and ``--boot-check`` can measure whether the recovered one still does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ...workload import debian
from ...workload.generate import build
from ...workload.profile import Profile
from ..cell import Cell
from ..clock import SimClock
from ..machine import Machine
from ..protection import Protection
from ..registry import make_protection
from ..scenario import Scenario
from ..starting_disks import copy_sparse, starting_disk_name

log = logging.getLogger("workbench.experiment")


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
    starting_disk: str = "own"  # "built" (the run's starting disk, built here), "copied" from it, or "own"

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
               disk_size: int, starting: Path | None = None) -> Bench:
    """The strategy's machine, with the profile's data written at the clock's start, and the strategy attached.

    With ``starting`` (a run's folder of starting disks) a default system disk is a sparse copy of the
    run's starting disk for this profile, size and seed, built by the first cell that needs it.
    A machine that fails to build is closed here; the caller detaches the protection.
    """
    clock = SimClock()
    system = debian.prepare(profile, onto_disk=True, say=log.info)  # before any disk: the first time, a download
    cached = _starting_disk(cell, protection, starting, data_size=data_size, disk_size=disk_size)
    copied = cached is not None and cached.exists()
    if copied and cached is not None:
        machine = Machine(workdir / "source.img")
        copy_sparse(cached, machine.image)
    else:
        machine = protection.make_machine(workdir, disk_size)
    try:
        if not copied:
            root = machine.mount()
            build(profile, root, data_size=data_size, seed=cell.seed, start=clock.start)
            debian.install(profile, system, machine.image, root)
            if cached is not None:
                machine.unmount()
                cached.parent.mkdir(parents=True, exist_ok=True)
                copy_sparse(machine.image, cached)
        machine.mount()
        protection.attach(machine, lambda: clock.now)
    except BaseException:
        protection.detach()
        machine.close()
        raise
    return Bench(cell=cell, workdir=workdir, protection=protection, machine=machine, clock=clock,
                 profile=profile, disk_size=disk_size,
                 starting_disk="copied" if copied else "built" if cached is not None else "own")


def _starting_disk(cell: Cell, protection: Protection, starting: Path | None, *, data_size: int,
                   disk_size: int) -> Path | None:
    """Where the run keeps this cell's starting disk; None when the cell builds its own (no folder given,
    or a strategy with a machine of its own, such as a raid1 pair)."""
    if starting is None or type(protection).make_machine is not Protection.make_machine:
        return None
    return starting / starting_disk_name(profile=cell.profile, data_size=data_size, disk_size=disk_size,
                                         seed=cell.seed)
