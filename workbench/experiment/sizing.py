"""How big each cell's disks are: the default rule, or a disk sized so that the data fills a chosen share of it.

**Default** (``fill`` None): a system disk of twice the data plus 96 MiB, at least
128 MiB (``disk_size_for``). Plenty of room, whatever the churn: but the disk's
size then follows this rule, not the data, so nothing about a strategy's
reserved capacity can be learnt from it.

**Fill** (``compare --fill 0.5``): the root filesystem is ``fill`` full at its
fullest, which is just before the fault: the built data plus all the churn up to
the latest fault of the matrix's scenarios, as a dry run of that same build and
churn (same profile, size and seed) measures it (``peak_bytes``). The disk is the
smallest, in whole MiB, whose root filesystem has ``peak / fill`` of capacity
(df's Size: what files can fill, after ext4's own overhead), found by making
throwaway disks (``disk.create.root_usage``). So the churn is budgeted for: it
never meets a full disk, up to ``MAX_FILL``. Two floors: a system disk is never
below its layout's minimum (60 MiB), and a raid1 half never below btrfs' minimum
(128 MiB here); a cell on such a floor is emptier than ``fill`` says.

Each raid1 half is as big as the system disk would be (two such disks bought
for the machine), so its filesystem, with no ESP and btrfs' smaller overhead, is
a little emptier than the system disk's root.
"""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from .. import workspace
from ..disk.create import root_usage
from ..disk.layout import MiB, minimum_size
from ..errors import UsageError
from ..workload.churn import churn
from ..workload.generate import build
from ..workload.profile import load_profile
from .clock import SimClock
from .phases.strike import plan_strikes
from .scenario import Scenario

#: Above this the root filesystem is too near full for the churn's own metadata and a restore's temporary copies.
MAX_FILL = 0.95
#: The block sizes mke2fs picks for a root (1 KiB below 512 MiB): the peak is counted in each.
BLOCK_SIZES = (1024, 4096)


def disk_size_for(data_size: int) -> int:
    """The default rule: a system disk with room for the data, its churn and an ESP, in whole MiB."""
    return max(128 * MiB, -(-(data_size * 2 + 96 * MiB) // MiB) * MiB)


def check_fill(fill: float | None) -> float | None:
    """``fill`` as given, or one clear line on why it cannot be (pure)."""
    if fill is not None and not 0 < fill <= MAX_FILL:
        raise UsageError(f"--fill {fill:g} is not a share of the disk the data may fill: give one above 0 and "
                         f"at most {MAX_FILL:g} (the churn and a restore need the rest)")
    return fill


def sizes_for(profile: str, data_size: int | None, *, fill: float | None = None,
              scenarios: Iterable[Scenario] = (), seed: int = 1) -> tuple[int, int]:
    """(data bytes, source disk bytes) of a matrix's cells: the profile's default data size when none is given.

    With ``fill``, the disk is sized for the churn up to the latest fault of ``scenarios``
    (a dry run of the build and churn; needs a workspace).
    """
    data = data_size or load_profile(profile).default_data_size
    fill = check_fill(fill)
    if fill is None:
        return data, disk_size_for(data)
    until = max((plan_strikes(s).fault_hour for s in scenarios), default=0)
    peaks = peak_bytes(profile, data, seed=seed, until_hour=until)
    return data, disk_size_for_fill(peaks, fill, _root_capacity)


def _root_capacity(size: int) -> tuple[int, int]:
    found = root_usage(size)
    return found.capacity_bytes, found.block_size


def disk_size_for_fill(peaks: dict[int, int], fill: float, capacity_of: Callable[[int], tuple[int, int]],
                       *, layout: str = "system") -> int:
    """The smallest disk, in whole MiB and at least the layout's minimum, whose root holds ``peak / fill``.

    ``peaks``: block size -> the data at its fullest counted in blocks of that size;
    ``capacity_of(disk bytes)`` -> (root capacity, its block size). The capacity grows
    with the disk (in steps), so a bisection finds the size.
    """
    def enough(size: int) -> bool:
        capacity, block = capacity_of(size)
        return capacity * fill >= peaks[block]

    floor = minimum_size(layout)
    need = max(peaks.values()) / fill
    low = max(floor, (int(need) // MiB) * MiB)  # a root can never hold more than its partition
    if enough(low):
        return low
    high = max(low + MiB, -(-int(need / 0.75 + 40 * MiB) // MiB) * MiB)  # ext4 on a small disk keeps < 25 %
    while not enough(high):
        low, high = high, high * 2
    while high - low > MiB:
        middle = (low + high) // 2 // MiB * MiB
        low, high = (low, middle) if enough(middle) else (middle, high)
    return high


def peak_bytes(profile_name: str, data_size: int, *, seed: int, until_hour: int) -> dict[int, int]:
    """The most the profile's data occupies from its build up to ``until_hour``: a dry run of the cells' own
    build and hourly churn in the workspace, counted (after each active hour) as ext4 would allocate it
    in blocks of each size in ``BLOCK_SIZES``."""
    profile = load_profile(profile_name)
    clock = SimClock()
    root = workspace.home() / "experiments" / f".sizing-{uuid.uuid4().hex[:12]}"
    root.mkdir(parents=True)
    try:
        build(profile, root, data_size=data_size, seed=seed, start=clock.start)
        peaks = allocated_in_blocks(root)
        first, last = profile.active_hours
        for hour in range(1, until_hour):
            day, hour_of_day = divmod(hour, 24)
            if first <= hour_of_day < last:
                churn(profile, root, day=day, hours=[hour_of_day])
                peaks = {size: max(peaks[size], now) for size, now in allocated_in_blocks(root).items()}
        return peaks
    finally:
        shutil.rmtree(root, ignore_errors=True)


def allocated_in_blocks(root: Path) -> dict[int, int]:
    """What the tree would take on a filesystem of each block size in ``BLOCK_SIZES``: every inode once.

    A file takes its size rounded up to whole blocks (a sparse one: what it has
    allocated here, rounded up); a folder one block when it is small, else what it
    has here; a symlink too long to live in its inode one block.
    """
    totals = dict.fromkeys(BLOCK_SIZES, 0)
    seen: set[int] = set()
    for path in _tree(root):
        info = os.lstat(path)
        if info.st_ino in seen:
            continue
        seen.add(info.st_ino)
        for block in BLOCK_SIZES:
            totals[block] += _blocks_for(info, block) * block
    return totals


def _blocks_for(info: os.stat_result, block: int) -> int:
    if stat.S_ISREG(info.st_mode):
        held = min(info.st_size, info.st_blocks * 512)  # holes are not data
        return -(-held // block)
    if stat.S_ISDIR(info.st_mode):
        return 1 if info.st_size <= 4096 else -(-info.st_size // block)
    if stat.S_ISLNK(info.st_mode):
        return 1 if info.st_size >= 60 else 0  # shorter targets live in the inode
    return 0


def _tree(root: Path) -> Iterable[str]:
    for folder, dirs, files in os.walk(root):
        yield from (os.path.join(folder, name) for name in dirs + files)
