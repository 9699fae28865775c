"""Mirroring: one copy kept in step with the source (which is why it is not a backup).

Four modes, named as in results: ``mirror-sync`` (one-way, rsync -a --delete
semantics; ``variant`` quick-check or checksum), ``mirror-continuous``
(inotify, lsyncd-like delay), ``mirror-two-way`` (Unison-like) and ``raid1``
(btrfs raid1 over two loop disks). ``make(mode)`` builds the strategy.

Modules: ``tree`` (scan, atomic writes with metadata), ``plan`` (what a one-way
sync must do, pure), ``sync``, ``continuous``, ``twoway``, ``raid1``,
``record`` (the records kept at the target's top level), ``strategies``.
"""

from __future__ import annotations

from ...errors import UsageError
from ..base import Strategy

MODES = ("sync", "continuous", "two-way", "raid1")


def make(mode: str, *, checksum: bool = False, delay_s: float = 0.2, half_bytes: int = 256 << 20) -> Strategy:
    """The strategy for a mode name ('sync', 'continuous', 'two-way', 'raid1')."""
    from . import strategies

    if mode == "sync":
        return strategies.MirrorSync(checksum)
    if mode == "continuous":
        return strategies.MirrorContinuous(checksum, delay_s)
    if checksum:
        raise UsageError(f"--checksum applies to the sync and continuous modes, not to {mode}")
    if mode == "two-way":
        return strategies.MirrorTwoWay()
    if mode == "raid1":
        return strategies.Raid1Strategy(half_bytes)
    raise UsageError(f"unknown mirror mode '{mode}': use one of {', '.join(MODES)}")
