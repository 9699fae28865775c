"""Keeping a disk still while a block-level strategy reads it.

The choreography (documented in docs/image-format.md): image and clone read a
disk from an **unmounted** state; the scenario engine unmounts first. If a
partition of the disk is mounted, protect refuses, unless asked to freeze:
then every mounted filesystem of the disk is frozen with ``fsfreeze`` (dirty
data flushed, writers blocked) for the duration of the read, and thawed in
``finally`` whatever happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..disk.mounting import frozen, mounts_of
from ..errors import UsageError


@contextmanager
def held_still(image: Path, *, freeze: bool = False) -> Iterator[list[Path]]:
    """Refuse a mounted source, or freeze its mounts while the body reads it; yields what was frozen."""
    points = mounts_of(image)
    if points and not freeze:
        where = ", ".join(str(p) for p in points)
        raise UsageError(
            f"'{image.name}' is mounted at {where}: unmount it first (block-level strategies read an "
            "unmounted disk), or pass --freeze to fsfreeze it while it is read"
        )
    with frozen(points) as done:
        yield done
