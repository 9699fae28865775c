"""Releasing what a dead run left behind, and only that.

What belongs to the workspace is read from the system itself: a mount is the
workspace's when its mount point is inside it or its source is a loop device
backed by a workspace file; a loop device when its backing file is inside it;
a served disk (:mod:`workbench.disk.served`) when its FUSE mount or its folder
is; its server is found from the state file in that folder.

Whose it is comes from the owners' records (:mod:`workbench.disk.owners`):
whatever a live owner claims (its backing images, mount points, served disks'
folders) is left alone, so a cleanup beside a running comparison frees only
what dead runs left. Claims are written before a resource exists, so what no
live owner claims is a leftover, whoever made it; the records of dead owners
are removed once their resources are gone.

Locks (:mod:`workbench.disk.locks`) are respected too: nothing inside a target a live
writer holds is released, and only the lock files no live process holds are removed.

The order is the one layers need: filesystems first, then loop devices (some
backed by served files), then the FUSE mounts under them, then their servers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Set
from pathlib import Path

from .. import proc, workspace
from . import locks, owners, served
from .loop import workspace_loops
from .mounting import unmount

RELEASE_WAIT_S = 5.0


def workspace_mounts(root: Path | None = None) -> list[Path]:
    """Mount points that belong to the workspace, deepest first."""
    root = root or workspace.home()
    loops = set(workspace_loops(root))
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        point = Path(_unescape(fields[4]))
        source = fields[fields.index("-") + 2]
        if point.is_relative_to(root) or source in loops:
            found.append(point)
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def release_leftovers(*, spare_mounts: Set[Path] = frozenset(), spare_loops: Set[str] = frozenset(),
                      progress: Callable[[int, int], None] | None = None) -> list[str]:
    """Unmount and detach everything of the workspace's that no live owner claims (and that is not spared);
    return what was released.

    A detach while a lazy unmount still holds the device completes on its last close,
    so this waits briefly for the devices to go. ``progress(released, found)`` follows each
    release; ``found`` is what the workspace held at the start (a loop device that went with
    its mount is not released again), and a last call comes before the dead owners' records go.
    """
    proc.require_root("releasing loop devices and mounts")
    root = workspace.home()
    dead = owners.dead_records(root)
    live = owners.live_claims(root)
    locked = locks.live_targets(root)
    released: list[str] = []
    fuse_points = set(served.fuse_mounts(root))
    found = len(workspace_mounts(root)) + len(workspace_loops(root)) + len(served.leftover_places(root))

    def release(what: str) -> None:
        released.append(what)
        if progress is not None:
            progress(len(released), max(found, len(released)))

    for point in workspace_mounts(root):
        if point in spare_mounts or point in fuse_points or point in live["mounts"] or _inside(point, locked):
            continue
        unmount(point)
        release(f"unmounted {point}")
        try:
            point.rmdir()
        except OSError:
            pass
    detached = [device for device, backing in workspace_loops(root).items()
                if device not in spare_loops and backing not in live["images"] and not _inside(backing, locked)]
    for device in detached:
        if proc.run(["losetup", "--detach", device], check=False).returncode == 0:
            release(f"detached {device}")
    deadline = time.monotonic() + RELEASE_WAIT_S
    while detached and set(detached) & set(workspace_loops(root)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for place in served.leftover_places(root):
        if place.point not in spare_mounts and place.home not in live["served"]:
            for what in served.release_place(place):
                release(what)
    if progress is not None:
        progress(max(found, len(released)), max(found, len(released)))
    for record in dead:
        owners.forget(record)
    locks.remove_free(root)
    return released


def _inside(path: Path, targets: Set[Path]) -> bool:
    return any(path == target or path.is_relative_to(target) for target in targets)


def _unescape(field: str) -> str:
    """mountinfo escapes spaces and friends as octal (\\040)."""
    return os.fsdecode(field.encode().decode("unicode_escape").encode("latin-1"))
