"""Phase 4, recover: the user notices the damage and recovers as a user of the strategy would.

How, and from what a user can see, is ``experiment.recovery``'s business; this
phase hands it the cell's machine, protection and scenario.
"""

from __future__ import annotations

from ..recovery import RecoveryOutcome, recover
from ..scoring import TruthState
from .build import Bench


def recover_cell(bench: Bench, prefault: TruthState) -> RecoveryOutcome:
    """Recover the machine (timed: the RTO); ``prefault`` gives the names of the files the user remembers."""
    remembered = {p for p, e in prefault.manifest.entries.items() if e.kind in ("file", "symlink")}
    return recover(bench.machine, bench.protection, disk_size=bench.disk_size, remembered_files=remembered,
                   disk_failing=bench.scenario.disk_failing)
