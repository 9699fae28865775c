"""Starting disks built once per run: the profile's data written once, each cell given a sparse copy.

Building the data is the same work in every cell of a run that shares the
profile, the data and disk sizes and the seed, and at 1 GiB it is a good share
of a cell's time. The first cell that needs a starting disk builds it on its
own source disk as before, unmounts it and copies it (sparse, written aside
and renamed) into the run's ``starting-disks/`` folder; later cells copy it
from there. A cell's copy is its own file, so cells stay independent: nothing
one does reaches another. Two cells that race to build the same disk both
build it, and the second rename wins; either copy is the same data.

Only strategies whose machine is the default system disk take a copy: a raid1
pair is built per cell, so each pair has a btrfs fsid of its own.
"""

from __future__ import annotations

from pathlib import Path

from ..durable import replacing
from ..sparse import sparse_copy


def starting_disk_name(*, profile: str, data_size: int, disk_size: int, seed: int) -> str:
    """The file name of a starting disk: everything its bytes depend on (pure)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in Path(profile).stem)
    return f"{safe}-{data_size}-{disk_size}-s{seed}.img"


def copy_sparse(source: Path, destination: Path) -> None:
    """Copy an image keeping its holes, written aside and renamed, so a half-written copy is never seen."""
    with replacing(destination, sync=False) as aside, open(source, "rb") as src, open(aside, "wb") as dst:
        sparse_copy(src.fileno(), dst.fileno())
