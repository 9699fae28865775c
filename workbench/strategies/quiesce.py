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

from .. import proc
from ..disk.loop import loops_of
from ..errors import UsageError


def mounts_of(image: Path) -> list[Path]:
    """Mount points of filesystems on loop devices backed by this image."""
    devices = set(loops_of(image))
    if not devices:
        return []
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        source = fields[fields.index("-") + 2]
        if source in devices:
            points.append(Path(fields[4].encode().decode("unicode_escape")))
    return points


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
    frozen: list[Path] = []
    try:
        for point in points:
            proc.run(["fsfreeze", "--freeze", point], what=f"freezing {point}")
            frozen.append(point)
        yield frozen
    finally:
        for point in frozen:
            proc.run(["fsfreeze", "--unfreeze", point], check=False)
