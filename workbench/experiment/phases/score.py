"""Phases 5 and 7, judge and score: what came back, judged against the ground truth, as one results row."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...results.schema import Row
from ...truth.judge import compare
from ...truth.manifest import Manifest
from .. import scoring
from ..protection import Protection
from ..recovery import RecoveryOutcome
from .boot_check import NOT_BOOTED, BootCheck
from .build import Bench
from .simulate import Lived


@dataclass(frozen=True)
class Judged:
    """The recovered machine as the judge reads it."""

    restored: Manifest | None  # the root tree; None when it cannot be mounted
    facts: dict[str, Any] | None  # the disk's facts; None when the disk is gone


def judge(bench: Bench) -> Judged:
    return Judged(restored=bench.machine.manifest(), facts=bench.machine.facts())


def score_cell(identity: Mapping[str, Any], lived: Lived, outcome: RecoveryOutcome, judged: Judged,
               protection: Protection, booted: BootCheck = NOT_BOOTED) -> Row:
    """The cell's results row: ``identity`` (which cell), then what it measured.

    ``boot_ok`` is the byte check of ``scoring.health_columns`` unless a boot check booted the disk.
    """
    seconds = lived.protect_seconds
    health = scoring.health_columns(lived.at_fault.facts, judged.facts)
    health.update(booted.columns(health["boot_ok"]))
    return Row.measured(
        **identity,
        status="ok",
        error="",
        protect_s=round(sum(seconds), 4),
        protect_runs=len(seconds),
        protect_s_median=round(statistics.median(seconds), 4) if seconds else math.nan,
        protect_failures=lived.protect_failures,
        **lived.at_fault.space,
        rto_s=round(outcome.rto_s, 4),
        recovery_level=outcome.level,
        restore_point_time=outcome.point_time.isoformat() if outcome.point_time else "",
        files_restored=outcome.files_restored,
        damage_detected=outcome.damage_detected,
        **scoring.file_columns(lived.prefault, list(lived.history), judged.restored),
        **health,
        **scoring.watch_columns(protection.watches, protection.events, protection.propagation_delays_s),
        fault_hour=lived.fault_hour,
        detect_hour=lived.detect_hour,
    )


def verdicts(lived: Lived, restored: Manifest | None) -> list[dict[str, Any]]:
    """The judge's verdicts on every entry that is not intact, for the cell's details."""
    older = [s.manifest for s in lived.history if s.hour < lived.fault_hour]
    comparison = compare(lived.prefault.manifest, restored or Manifest(entries={}), history=older)
    return [v.to_json() for v in comparison.verdicts if v.category != "intact"]
