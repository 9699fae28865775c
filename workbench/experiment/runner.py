"""Running one cell of the matrix: one strategy through one scenario, scored.

``run_cell`` tells a cell's story phase by phase (``phases/``): build the disk,
simulate the hours (churn, protect runs, the faults striking on their hours),
recover, score. A cell that fails becomes a row with ``status = failed`` and
the error; the matrix goes on.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from .. import proc
from ..results.schema import Row
from ..strategies import catalog
from ..workload.profile import load_profile
from .cell import Cell
from .phases.build import Bench, arm_protection, build_disk, target_placement
from .phases.recover import recover_cell
from .phases.score import judge, measure_rpo, score_cell, verdicts
from .phases.simulate import simulate_hours
from .phases.strike import plan_strikes
from .phases.timing import PhaseClock
from .protection import Protection
from .registry import strategy_spec
from .sizing import disk_size_for, sizes_for

__all__ = ["Cell", "child_start_s", "disk_size_for", "run_cell", "sizes_for", "tagged_variant"]

log = logging.getLogger("workbench.experiment")


def run_cell(cell: Cell, workdir: Path, details_dir: Path | None = None) -> Row:
    """Run one cell; always returns a row (``status`` ok or failed).

    The cell's details (``details_dir/<label>.json``) hold its fault records,
    protect runs, the hours of its history (``history``), recovery steps, the RPO
    with the files behind it (``rpo``: an unbounded RPO is null there, JSON has no
    infinity), the judge's verdicts that are not intact, and ``phases_s``: the wall
    seconds of each phase.
    """
    name, variant = strategy_spec(cell.strategy)
    profile = load_profile(cell.profile)
    sized = cell.disk_size is not None  # the matrix found the disk for the fill once, for all its cells
    data_size, disk_size = sizes_for(cell.profile, cell.data_size, fill=None if sized else cell.fill,
                                     scenarios=[cell.scenario], seed=cell.seed)
    disk_size = cell.disk_size or disk_size
    details: dict[str, Any] = {"cell": cell.label, "faults": [], "protect_runs": [], "recovery": {}}
    phases = PhaseClock()
    protection: Protection | None = None
    bench: Bench | None = None
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        with phases.phase("build"):
            protection = arm_protection(cell, workdir)
            bench = build_disk(cell, protection, workdir, profile=profile, data_size=data_size,
                               disk_size=disk_size)
        with phases.phase("simulate"):
            lived = simulate_hours(bench, plan_strikes(cell.scenario), details, phases, child_start_s)
        with phases.phase("recover"):
            outcome = recover_cell(bench)
            details["recovery"] = outcome.to_details()
        with phases.phase("score"):
            judged = judge(bench, lived)
            rpo = measure_rpo(lived, judged, protection)
            row = score_cell(_identity(cell, name, variant, protection), lived, outcome, judged, protection, rpo)
            details["watch"] = protection.events
            details["rpo"] = {**rpo.to_json(), "target_damage_by": row["target_damage_by"]}
            details["verdicts"] = verdicts(lived, judged.restored)
    except Exception as exc:  # any bug in one cell is that cell's row; Ctrl-C still stops the matrix
        log.debug("cell %s failed", cell.label, exc_info=True)
        row = Row.failed(f"{type(exc).__name__}: {exc}", **_identity(cell, name, variant, protection))
        details["traceback"] = traceback.format_exc()
    finally:
        if protection is not None:
            protection.detach()
        if bench is not None:
            bench.machine.close()
        details["phases_s"] = phases.to_json()
        if details_dir is not None:
            details_dir.mkdir(parents=True, exist_ok=True)
            (details_dir / f"{cell.label}.json").write_text(json.dumps(details, indent=1, default=str))
        shutil.rmtree(workdir, ignore_errors=True)
    return row


def _identity(cell: Cell, name: str, variant: str, protection: Protection | None) -> dict[str, Any]:
    """The columns that say which cell a row is (scope and targets known once the strategy is set up)."""
    placement = target_placement(protection, cell.scenario) if protection is not None else ""
    row = catalog.row(name)
    return {"strategy": row.strategy, "variant": tagged_variant(variant, placement), "family": row.family,
            "engine": row.engine,
            "scope": protection.scope if protection is not None else "", "scenario": cell.scenario.name,
            "repetition": cell.repetition, "seed": cell.seed, "profile": cell.profile,
            "fill": math.nan if cell.fill is None else cell.fill}


def tagged_variant(variant: str, placement: str) -> str:
    """The row's variant: the strategy's own (``checksum``), plus ``online-target`` when the scenario
    left a target that is normally offline within the machine's reach, or ``offline-target`` when it
    attached a normally live target (a mirror's) only for its runs (``phases.build.target_placement``)."""
    return "+".join(v for v in (variant, placement) if v)


@functools.lru_cache(maxsize=1)
def child_start_s() -> float:
    """How long a protect child takes to start (Python and the package's imports), measured once."""
    started = time.perf_counter()
    proc.run([sys.executable, "-c", "import workbench.experiment.child"], what="starting a protect child")
    return time.perf_counter() - started
