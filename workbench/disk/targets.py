"""Where strategies store what they keep, and where a restore may write.

A target is written ``PATH`` (a directory or an image file in the workspace)
or ``DATA.img:/folder`` (a folder on a workbench ``data`` disk, which is
mounted for as long as the target is open: an "external drive").

A restore never loses data: ``check_destination`` is the one rule every
file-level restore goes through, in the library, so a notebook calling a
strategy is protected as the CLI is. Block-level restores apply the same rule
to disk files in ``strategies.image.destination.prepare``.

This sits in ``disk/`` because opening a ``DATA.img:/folder`` target mounts
that disk: a strategy or a command asks here for the path, never mounts itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .. import workspace
from ..errors import UsageError

#: What mkfs leaves at a filesystem's root: the root of a fresh disk still counts as empty.
FRESH_FILESYSTEM_ENTRY = "lost+found"


def split_spec(spec: str) -> tuple[str, str | None]:
    """'usb.img:/backups' -> ('usb.img', '/backups'); 'dir' -> ('dir', None). Pure.

    Only ``.img:`` splits, so a plain path may hold a colon ('notes:2024').
    """
    if not spec:
        raise UsageError("the target is empty: give a workspace path, or DATA.img:/folder on a data disk")
    head, sep, tail = spec.partition(".img:")
    if not sep:
        return spec, None
    disk = head + ".img"
    if not head or head.endswith("/"):
        raise UsageError(f"'{spec}' names no disk image before ':': write it like usb.img:/backups")
    folder = PurePosixPath("/" + tail.lstrip("/"))
    if ".." in folder.parts:
        raise UsageError(f"'{spec}': the folder must stay inside the data disk (no '..')")
    return disk, str(folder)


@contextmanager
def opened(spec: str, *, create: bool = True) -> Iterator[Path]:
    """Yield the target as a real path, mounting its data disk when needed."""
    disk, folder = split_spec(spec)
    if folder is None:
        path = workspace.resolve(disk)
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        yield path
        return
    image = workspace.resolve(disk, must_exist=True)
    from .mounting import mounted  # here, not on top: a folder target's start-up skips the loop-device layer

    with mounted(image, "data") as point:
        path = (point / folder.lstrip("/")).resolve()
        if not path.is_relative_to(point):  # a symlink on the disk may still point out
            raise UsageError(f"'{spec}': the folder must stay inside the data disk")
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        yield path


def holds_data(folder: Path) -> bool:
    """Whether a restore into ``folder`` could overwrite or delete something.

    An empty ``lost+found`` does not count: it is what every fresh ext4 root holds.
    """
    with os.scandir(folder) as entries:
        for entry in entries:
            if not (entry.name == FRESH_FILESYSTEM_ENTRY and entry.is_dir(follow_symlinks=False)
                    and _is_empty(entry.path)):
                return True
    return False


def _is_empty(folder: str) -> bool:
    with os.scandir(folder) as entries:
        return next(entries, None) is None


def check_destination(destination: Path, *, force: bool = False, disk: str | None = None) -> None:
    """Refuse a restore into a folder that holds data, unless ``force`` (then it is overwritten).

    A new path or an empty folder is always fine. ``disk`` names the disk image
    whose mounted root ``destination`` is, so the message speaks of the disk.
    """
    if not os.path.lexists(destination):
        return
    shown = workspace.display(destination)
    if not destination.is_dir():
        raise UsageError(f"'{shown}' is a file, not a folder: restore into a new or empty folder")
    if force or not holds_data(destination):
        return
    if disk:
        raise UsageError(f"the disk '{disk}' already holds files: restore onto a new disk, "
                         "or pass --force to overwrite it")
    raise UsageError(f"'{shown}/' is not empty: restore into a new or empty folder, or pass --force to overwrite it")
