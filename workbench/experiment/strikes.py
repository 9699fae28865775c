"""Striking a cell's machine with a scenario's faults, through the one table of fault kinds.

File-level faults (deletion, ransomware) go through the mounted filesystem,
as they do in life; raw faults (bit rot, bad sectors, wipes) go under it into
the unmounted image file (``faults.kinds`` says which, and the injector).
Every injector returns its record, which is kept for the scorer and never
shown to recovery. A crash during protect is no strike on the machine: the
runner kills the cell's own protect run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from ..faults import kinds
from ..faults.kinds import RansomCampaign, StruckDisk
from ..faults.records import FaultRecord
from .scenario import FaultSpec

__all__ = ["PROTECTION_FAULTS", "RansomCampaign", "strike", "strike_hours"]

#: Faults that strike the protection, not the user's data: they do not end the workload.
PROTECTION_FAULTS = tuple(k.name for k in kinds.KINDS if k.strikes_protection)


def strike(spec: FaultSpec, machine: StruckDisk, *, seed: int, at: datetime, folders: tuple[str, ...],
           reachable: Sequence[Path], day_index: int = 0, campaign: RansomCampaign | None = None,
           settle: Callable[[], None] = lambda: None, copies: Mapping[str, Path] | None = None) -> list[FaultRecord]:
    """Inject one fault (or one day of a slow one); return the records of what it damaged.

    ``reachable`` is what the fault may strike besides the disk: the protection's
    targets for target corruption, the targets within reach for ransomware;
    ``copies``: folders of the root tree kept as plain copies elsewhere (a mirror's
    target), where conflicting edits change the second machine's side.
    """
    if kinds.kind(spec.kind).access == "process":
        raise AssertionError("a crash during protect is run by the runner, not struck on the machine")
    return kinds.strike(spec.kind, machine, options=spec.options, seed=seed, at=at, folders=folders,
                        targets=reachable, day_index=day_index, campaign=campaign, settle=settle,
                        copies=copies)


def strike_hours(spec: FaultSpec) -> list[int]:
    """The hours a fault strikes: once, or once a day for slow ransomware."""
    days = spec.settings().get("days", 1)
    return [spec.hour + 24 * day for day in range(days)]
