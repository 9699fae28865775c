"""Checks made at the point of every raw write and every raw read.

The library, not only the CLI, enforces that raw bytes go to or come from only:
- a regular image file inside the workspace, or
- a loop device whose backing file is such an image (so the workbench attached it).

Anything else (``/dev/sda``, someone else's ``/dev/loop7``, a symlink leading
out) raises ``SafetyError``. ``open_for_write`` is the one door for raw writes;
readers of raw bytes (partition tables, the boot area) call ``check_target``.
A loop device is recognised by its device numbers, never by its name, so a
node called ``loop3`` that points at another disk is refused.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from . import workspace
from .errors import SafetyError, UsageError


def loop_backing_file(device: str | os.PathLike[str]) -> Path | None:
    """The backing file of a loop device, from sysfs; None if it is not an attached loop.

    The device is found by its major:minor (``/sys/dev/block/M:N``), not by its
    file name, which anyone can give to any block node.
    """
    try:
        st = os.stat(device)
    except OSError:
        return None
    if not stat.S_ISBLK(st.st_mode):
        return None
    numbers = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    backing = Path("/sys/dev/block") / numbers / "loop" / "backing_file"
    try:
        text = backing.read_text().strip()
    except OSError:
        return None
    return Path(text.removesuffix(" (deleted)"))


def check_image(path: str | os.PathLike[str]) -> Path:
    """Return the real path of a workspace image file, or refuse.

    A device is refused even when it is one of ours; a foreign one is refused
    as such first, so the message says whose it is.
    """
    if _is_device(path):
        check_device(path)
        raise SafetyError(f"'{path}' is a device, not a workspace image file: give the image file instead")
    real = workspace.resolve(path)
    if not real.exists():
        raise UsageError(f"'{path}' does not exist: create it with 'workbench disk create'")
    if not stat.S_ISREG(real.stat().st_mode):
        raise SafetyError(f"'{path}' is not a regular image file: refusing to touch it")
    return real


def _is_device(path: str | os.PathLike[str]) -> bool:
    """A block or character device, after following symlinks."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISBLK(mode) or stat.S_ISCHR(mode)


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
            f"'{device}' was not attached by the workbench: it only reads and writes loop devices of its own images"
        )
    if not workspace.is_inside(backing):
        raise SafetyError(
            f"'{device}' is backed by {backing}, which is outside the workspace: refusing to touch it"
        )
    return real


def check_target(path: str | os.PathLike[str]) -> Path:
    """Accept a workspace image file or one of our loop devices; refuse anything else.

    This holds for reads as well as writes: the workbench reads raw bytes only of
    its own disks. The one outside read it makes, ``disk import``'s source, is
    opened read-only by ``import_disk`` itself, which accepts only a regular file.
    """
    if str(path).startswith("/dev/") or _is_device(path):
        return check_device(path)
    return check_image(path)


def open_for_write(path: str | os.PathLike[str]) -> int:
    """Open a checked raw-write target and return the fd (O_RDWR, no create, no following a final symlink)."""
    real = check_target(path)
    return os.open(real, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
