"""Checks made at the point of every raw write and every raw read.

The library, not only the CLI, enforces that raw bytes go to or come from only:
- a regular image file inside the workspace, or
- a loop device whose backing file is such an image (so the workbench attached it).

Anything else (``/dev/sda``, someone else's ``/dev/loop7``, a symlink leading
out) raises ``SafetyError``. ``open_for_write`` is the one door for raw writes;
readers of raw bytes (partition tables, the boot area) call ``check_target``, or
``open_checked``/``held`` to get the checked file itself.
A loop device is recognised by its device numbers, never by its name, so a
node called ``loop3`` that points at another disk is refused.

A path checked is not yet the file opened: a symlink swapped into any component
between the two (a time-of-check/time-of-use race) would bend the open elsewhere,
and ``O_NOFOLLOW`` guards only the last component. So ``open_checked`` opens an
image by walking its checked real path from a held descriptor of the workspace,
one component at a time, each with ``O_NOFOLLOW`` (``O_DIRECTORY`` for the folders),
then checks the descriptor it got (a regular file, or a loop device of ours,
still inside the workspace). The descriptor is what gets written, and a tool that
needs a path is handed ``/proc/self/fd/N`` of it (``held``, ``proc.run(pass_fds=)``).
``openat2(RESOLVE_BENEATH)`` would do the walk in one call, but Python has no
binding for it and a ctypes syscall would tie us to one architecture's number.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
    return _backing_of(st)


def _backing_of(st: os.stat_result) -> Path | None:
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
    """Open a checked raw-write target and return the fd (O_RDWR, no create, no symlink followed)."""
    return open_checked(path, os.O_RDWR)


def open_checked(path: str | os.PathLike[str], flags: int = os.O_RDONLY, *, image_only: bool = False) -> int:
    """Check a raw target (``check_target``) and open it race-free; return the fd (``flags``: O_RDONLY or O_RDWR).

    ``image_only``: accept only a workspace image file (``check_image``), not a loop device.

    The checked real path is opened again without following any symlink, and the
    descriptor itself is checked, so a component swapped for a symlink after the
    check is refused (``SafetyError``) instead of leading the open out of the workspace.
    """
    real = check_image(path) if image_only else check_target(path)
    root = workspace.home()
    if real.is_relative_to(root):
        fd = _open_beneath(root, real.relative_to(root), flags)
        want_device = False
    else:  # one of our loop devices, in /dev: its fd is checked by its device numbers below
        fd = _open_final(None, str(real), flags, path)
        want_device = True
    try:
        _check_opened(fd, path, device=want_device)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_beneath(root: Path, relative: Path, flags: int) -> int:
    """Open ``root/relative`` from a held descriptor of ``root``, following no symlink on the way."""
    parts = relative.parts
    if not parts:
        raise SafetyError(f"'{root}' is the workspace itself, not an image file")
    folder = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            try:
                inner = os.open(part, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
            except OSError as exc:
                raise _changed(root / relative, exc) from None
            os.close(folder)
            folder = inner
        return _open_final(folder, parts[-1], flags, root / relative)
    finally:
        os.close(folder)


def _open_final(folder: int | None, name: str, flags: int, shown: str | os.PathLike[str]) -> int:
    """Open the last component: no symlink, no controlling tty, and no blocking on a FIFO swapped in."""
    try:
        fd = os.open(name, flags | os.O_NOFOLLOW | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    except OSError as exc:
        raise _changed(shown, exc) from None
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    return fd


def _changed(path: str | os.PathLike[str], exc: OSError) -> SafetyError:
    return SafetyError(f"'{path}' changed after it was checked ({exc.strerror or exc}): a symlink swapped into "
                       "the path? refusing to touch it")


def _check_opened(fd: int, path: str | os.PathLike[str], *, device: bool) -> None:
    """Refuse an opened descriptor that is not what the check accepted: checked on the fd, not on a path."""
    st = os.fstat(fd)
    if device:
        backing = _backing_of(st)
        if backing is None or not workspace.is_inside(backing):
            raise SafetyError(f"'{path}' changed after it was checked: it is no longer a loop device of ours")
        return
    if not stat.S_ISREG(st.st_mode):
        raise SafetyError(f"'{path}' changed after it was checked: it is no longer a regular image file")
    # Where the kernel says the opened file is now, compared as it stands (following no link again):
    # a folder renamed out of the workspace mid-walk takes the file with it.
    if not Path(os.readlink(f"/proc/self/fd/{fd}")).is_relative_to(workspace.home()):
        raise SafetyError(f"'{path}' was moved out of the workspace while it was opened: refusing to touch it")


@dataclass(frozen=True)
class Held:
    """A checked raw target held open: give a tool ``path`` and run it with ``pass_fds=(fd,)``."""

    fd: int

    @property
    def path(self) -> Path:
        """``/proc/self/fd/N``: opening it opens the very file that was checked, whatever the path became."""
        return Path(f"/proc/self/fd/{self.fd}")


@contextmanager
def held(path: str | os.PathLike[str], *, write: bool = False, image_only: bool = False) -> Iterator[Held]:
    """A checked, race-free open of a raw target (``open_checked``), closed on the way out."""
    fd = open_checked(path, os.O_RDWR if write else os.O_RDONLY, image_only=image_only)
    try:
        yield Held(fd)
    finally:
        os.close(fd)
