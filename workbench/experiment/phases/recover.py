"""Phase 4, recover: the user notices the damage and recovers as a user of the strategy would.

How, and from what a user can see (``experiment.user_view``), is ``experiment.recovery``'s
business; this phase hands it the cell's machine and protection, the hour on the clock and
whether the scenario's disk reported itself failing. Nothing of the ground truth is passed.
"""

from __future__ import annotations

from ..recovery import RecoveryOutcome, recover
from .build import Bench


def recover_cell(bench: Bench) -> RecoveryOutcome:
    """Recover the machine (timed: the RTO), as the damage is noticed now."""
    return recover(bench.machine, bench.protection, disk_size=bench.disk_size, noticed_at=bench.clock.now,
                   disk_failing=bench.scenario.disk_failing)
