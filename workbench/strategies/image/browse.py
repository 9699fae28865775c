"""A point's root filesystem, mounted read-only: what ``listing`` and ``restore_paths`` read.

The user of an image tool lists and copies files out of a point by mounting
it (``partclone``'s images are restored to a scratch file first, a loop mount
then shows the tree). Here only the root partition is rebuilt, checked chunk
by chunk as in a full restore, into a sparse scratch file
(``extract.rebuilt_partition``), attached read-only and mounted read-only;
everything is released on the way out. The mounted tree is then read like
any plain tree (``mirror.listing``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ...disk.loop import attached
from ...disk.mounting import mounted_device
from .extract import rebuilt_partition
from .store import PointFile


@contextmanager
def mounted_point(point_chain: list[PointFile], *, role: str = "root", workers: int = 2) -> Iterator[Path]:
    """Mount the point's ``role`` filesystem read-only and yield its root."""
    with rebuilt_partition(point_chain, role, workers=workers) as part_file:
        with attached(part_file, readonly=True) as device:
            with mounted_device(device, readonly=True, label=f"point-{point_chain[0].id}") as root:
                yield root
