"""Mirroring: one copy kept in step with the source (which is why it is not a backup).

Four modes, one row each in the strategy table (``strategies.catalog``), which
names them as results do and gives each its ``workbench mirror --mode``:
``mirror-sync`` (``sync``: one-way, rsync -a --delete semantics; variant
quick-check or checksum), ``mirror-continuous`` (``continuous``: inotify,
lsyncd-like delay), ``mirror-two-way`` (``two-way``: Unison-like) and ``raid1``
(``raid1``: btrfs raid1 over two loop disks). ``make(mode)`` builds the
strategy; ``detect_mode(target)`` recognises which one a target holds.

Modules: ``tree`` (scan, atomic writes with metadata), ``plan`` (what a one-way
sync must do, pure), ``sync``, ``continuous``, ``twoway``, ``raid1``,
``record`` (the records kept at the target's top level), ``strategies``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, overload

from ... import workspace
from ...errors import UsageError
from .. import catalog
from ..base import Strategy

if TYPE_CHECKING:
    from .strategies import MirrorContinuous

#: The --mode values, as the strategy table lists them.
MODES = catalog.modes_of("mirror")


class Mirror(Strategy, Protocol):
    """A mirror strategy: a Strategy that also names its variant ('' for a mode that has none)."""

    variant: str


@overload
def make(mode: Literal["continuous"], *, checksum: bool = False, delay_s: float = 0.2,
         half_bytes: int = 256 << 20, durable: bool = False) -> MirrorContinuous: ...
@overload
def make(mode: str, *, checksum: bool = False, delay_s: float = 0.2, half_bytes: int = 256 << 20,
         durable: bool = False) -> Mirror: ...
def make(mode: str, *, checksum: bool = False, delay_s: float = 0.2, half_bytes: int = 256 << 20,
         durable: bool = False) -> Mirror:
    """The strategy for a mode name ('sync', 'continuous', 'two-way', 'raid1').

    ``durable`` (``--sync``): a one-way sync writes its target out before its record."""
    from . import strategies

    row = catalog.by_mode("mirror", mode)
    if checksum and not row.variants:
        raise UsageError(f"--checksum applies to the sync and continuous modes, not to {mode}")
    if durable and row.strategy != "mirror-sync":
        raise UsageError(f"--sync applies to the sync mode, not to {mode} (two-way and raid1 records are always "
                         "fsynced; continuous syncs each change as it comes): drop --sync")
    if row.strategy == "mirror-sync":
        return strategies.MirrorSync(checksum, durable=durable)
    if row.strategy == "mirror-continuous":
        return strategies.MirrorContinuous(checksum, delay_s)
    if row.strategy == "mirror-two-way":
        return strategies.MirrorTwoWay()
    from .raid1_mode import Raid1Strategy  # only here: it loads the loop-device and served-disk layers

    return Raid1Strategy(half_bytes)


def detect_mode(target: Path) -> str:
    """The mode of the mirror a target holds, from the records it keeps at its top level.

    A continuous mirror keeps a one-way sync's record, and reads back as ``sync``. A damaged
    record still says which mode the target holds (verify then reports the damage).
    """
    from . import raid1, record

    if any(image.exists() for image in raid1.halves(target)):
        return "raid1"
    if record.has_record(target, record.TWOWAY_NAME):
        return "two-way"
    if record.has_record(target, record.SYNC_NAME):
        return "sync"
    raise UsageError(f"'{workspace.display(target)}' is not a mirror: run 'workbench mirror protect' first")
