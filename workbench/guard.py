"""Checks made at the point of every raw write.

The library, not only the CLI, enforces that raw bytes go only to:
- a regular image file inside the workspace, or
- a loop device whose backing file is such an image (so the workbench attached it).

Anything else (``/dev/sda``, someone else's ``/dev/loop7``, a symlink leading
out) raises ``SafetyError``. ``open_for_write`` is the one door for raw writes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from . import workspace
from .errors import SafetyError, UsageError


def loop_backing_file(device: str | os.PathLike[str]) -> Path | None:
    """The backing file of a loop device, from sysfs; None if it is not an attached loop."""
    name = Path(os.path.realpath(device)).name
    backing = Path("/sys/block") / name / "loop" / "backing_file"
    try:
        text = backing.read_text().strip()
    except OSError:
        return None
    return Path(text.removesuffix(" (deleted)"))


def check_image(path: str | os.PathLike[str]) -> Path:
    """Return the real path of a workspace image file, or refuse."""
    real = workspace.resolve(path)
    if not real.exists():
        raise UsageError(f"'{path}' does not exist: create it with 'workbench disk create'")
    mode = real.stat().st_mode
    if stat.S_ISBLK(mode) or stat.S_ISCHR(mode):
        raise SafetyError(f"'{path}' is a device, not a workspace image file: refusing to touch it")
    if not stat.S_ISREG(mode):
        raise SafetyError(f"'{path}' is not a regular image file: refusing to touch it")
    return real


def check_device(device: str | os.PathLike[str]) -> Path:
    """Return the device if it is a loop device attached to a workspace image, or refuse."""
    real = Path(os.path.realpath(device))
    try:
        is_block = stat.S_ISBLK(real.stat().st_mode)
    except OSError:
        is_block = False
    if not is_block:
        raise SafetyError(f"'{device}' is not a block device")
    backing = loop_backing_file(real)
    if backing is None:
        raise SafetyError(
            f"'{device}' was not attached by the workbench: it only writes to loop devices of its own images"
        )
    if not workspace.is_inside(backing):
        raise SafetyError(
            f"'{device}' is backed by {backing}, which is outside the workspace: refusing to touch it"
        )
    return real


def check_target(path: str | os.PathLike[str]) -> Path:
    """Accept a workspace image file or one of our loop devices; refuse anything else."""
    given = str(path)
    if given.startswith("/dev/"):
        return check_device(given)
    real = Path(os.path.realpath(given))
    try:
        mode = real.stat().st_mode
    except OSError:
        mode = 0
    if stat.S_ISBLK(mode) or stat.S_ISCHR(mode):
        return check_device(real)
    return check_image(path)


def open_for_write(path: str | os.PathLike[str]) -> int:
    """Open a checked raw-write target and return the fd (O_RDWR, no create, no following a final symlink)."""
    real = check_target(path)
    return os.open(real, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
