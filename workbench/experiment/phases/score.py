"""Phase 5, score: what came back, judged against the ground truth, as one results row.

The RPO's rule is ``scoring.rpo``'s; how damage reached the target, ``damage_path``'s.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...results.schema import Row
from ...truth.judge import compare
from ...truth.manifest import Manifest, take_manifest
from .. import scoring
from ..damage_path import target_damage_by
from ..protection import Protection
from ..recovery import RecoveryOutcome
from .build import Bench
from .simulate import Lived


@dataclass(frozen=True)
class Judged:
    """The recovered machine as the judge reads it."""

    restored: Manifest | None  # the root tree; None when it cannot be mounted
    facts: dict[str, Any] | None  # the disk's facts; None when the disk is gone
    copies: tuple[Manifest, ...] = ()  # a second machine's copies (a mirror's target), when edits were made there


def judge(bench: Bench, lived: Lived) -> Judged:
    """The recovered machine, and the copies conflicting edits changed (for ``versions_lost``)."""
    edited = any(record["kind"] == "conflicting-edits" for record in lived.faults)
    copies = tuple(take_manifest(path) for path in bench.protection.tree_copies().values()
                   if edited and path.is_dir())
    return Judged(restored=bench.machine.manifest(), facts=bench.machine.facts(), copies=copies)


def measure_rpo(lived: Lived, judged: Judged, protection: Protection) -> scoring.Rpo:
    """The RPO of what came back, within the strategy's scope (``scoring.rpo``)."""
    return scoring.rpo(lived.prefault, lived.history, judged.restored or Manifest(entries={}), protection.folders)


def score_cell(identity: Mapping[str, Any], lived: Lived, outcome: RecoveryOutcome, judged: Judged,
               protection: Protection, rpo: scoring.Rpo) -> Row:
    """The cell's results row: ``identity`` (which cell), then what it measured (``rpo``: ``measure_rpo``)."""
    seconds = lived.protect_seconds
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
        **scoring.rpo_columns(rpo),
        target_damage_by=target_damage_by(lived.faults, lived.run_copies, tree_root=protection.subdir,
                                          filesystem=protection.filesystem_is_target),
        conflicts=lived.conflicts,
        versions_lost=scoring.versions_lost(lived.faults, judged.restored, *judged.copies),
        **scoring.health_columns(lived.at_fault.facts, judged.facts),
        **scoring.watch_columns(protection.watches, protection.events, protection.propagation_delays_s),
        fault_hour=lived.fault_hour,
        detect_hour=lived.detect_hour,
    )


def verdicts(lived: Lived, restored: Manifest | None) -> list[dict[str, Any]]:
    """The judge's verdicts on every entry that is not intact, for the cell's details."""
    older = [s.manifest for s in lived.history if s.hour < lived.fault_hour]
    comparison = compare(lived.prefault.manifest, restored or Manifest(entries={}), history=older)
    return [v.to_json() for v in comparison.verdicts if v.category != "intact"]
