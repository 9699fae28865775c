"""What a matrix will cost before it runs: the cells, their time from the data's size, the space they need.

Estimates, not measurements; the rules are here so they can be checked and improved:

- **Time.** A cell costs a fixed part (making and mounting disks, the simulated hours'
  protect runs and bookkeeping, scoring) plus a part that grows with the data (writing
  it, protecting it, hashing it twice). The two constants are fitted to cells on the
  2-core reference machine: at 24 MiB (classroom) and at 1 GiB (laptop) of data.
- **Space.** A cell at a time holds, at its peak, its source disk (the data, its churn
  and the filesystem), the strategy's copy of it (a backup, a mirror, an image or a
  clone: up to the data again) and a restored copy: three times the data plus room
  for metadata. Cells running side by side need that each. Disks are sparse, so this
  is what they really take, not their nominal size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..disk.layout import MiB
from ..errors import UsageError
from ..units import format_bytes

GiB = 1024 * MiB
CELL_FIXED_S = 20.0  # image, backup, mirror-sync x deletion at 24 MiB: 30-48 s a cell on a loaded machine
CELL_S_PER_GIB = 30.0  # the same at 1 GiB: about 50 s a cell
CELL_SPACE_COPIES = 3  # source, the strategy's copy, a restored copy
CELL_SPACE_SLACK = 128 * MiB  # filesystem metadata, the workspace's scratch, a results folder


@dataclass(frozen=True)
class Estimate:
    cells: tuple[str, ...]  # the cells' labels, in the order they run
    data_bytes: int  # of one cell's workload
    cell_s: float  # one cell's expected wall time
    space_bytes: int  # what the workspace needs free while the matrix runs
    free_bytes: int  # what it has free now

    @property
    def total_s(self) -> float:
        return self.cell_s * len(self.cells)

    @property
    def space_short(self) -> bool:
        return self.space_bytes > self.free_bytes


def cell_seconds(data_bytes: int) -> float:
    """One cell's expected wall time on the reference machine (pure)."""
    return CELL_FIXED_S + CELL_S_PER_GIB * data_bytes / GiB


def space_needed(data_bytes: int, side_by_side: int = 1) -> int:
    """Free space the workspace needs for ``side_by_side`` cells at once (pure)."""
    return side_by_side * (CELL_SPACE_COPIES * data_bytes + CELL_SPACE_SLACK)


def estimate(labels: list[str], data_bytes: int, workspace: Path, *, side_by_side: int = 1) -> Estimate:
    vfs = os.statvfs(workspace)
    return Estimate(cells=tuple(labels), data_bytes=data_bytes, cell_s=cell_seconds(data_bytes),
                    space_bytes=space_needed(data_bytes, side_by_side), free_bytes=vfs.f_bavail * vfs.f_frsize)


def refuse_when_short(plan: Estimate, workspace: Path) -> None:
    """One line, before any disk is made, when the workspace cannot hold the matrix's cells."""
    if plan.space_short:
        raise UsageError(
            f"the workspace {workspace} has {format_bytes(plan.free_bytes)} free, but these cells need about "
            f"{format_bytes(plan.space_bytes)} ({format_bytes(plan.data_bytes)} of data each): free some space, "
            "point $WORKBENCH_HOME at a bigger disk, or compare less data"
        )
