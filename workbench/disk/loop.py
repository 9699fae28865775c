"""Loop devices over workspace images: attach, detach, list.

``losetup -P`` makes no partition nodes on this kernel, so one partition is
attached on its own with an offset and a size limit. Devices are only ever
detached by the name losetup gave back (never ``losetup -D``).
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import guard, proc, workspace
from ..errors import Interrupted, OperationFailed
from . import owners
from .table import Partition

log = logging.getLogger("workbench.disk")


def attach(image: Path, partition: Partition | None = None, *, readonly: bool = False,
           direct_io: bool = False) -> str:
    """Attach a workspace image (or one partition of it) and return the device path.

    ``direct_io``: the device writes to the image with O_DIRECT (refused if the kernel
    would not), so the image holds exactly what reached the device and nothing from a
    page cache of the image file: what ``power_cut`` copies.

    The image is claimed for the running process first (:mod:`owners`), so a cleanup
    running beside us never takes the device for a leftover; ``detach`` drops the claim.
    losetup is handed the checked file as ``/proc/self/fd/N`` (``guard.held``), so a
    symlink swapped into the path meanwhile cannot make it attach another file.
    """
    proc.require_root("attaching a loop device")
    real = guard.check_image(image)
    _unwind_on_sigterm()
    args: list[str | Path] = ["losetup", "--find", "--show"]
    if readonly:
        args.append("--read-only")
    if direct_io:
        args.append("--direct-io=on")
    if partition is not None:
        args += ["--offset", str(partition.start_bytes), "--sizelimit", str(partition.size_bytes)]
    owners.claim("images", real)
    try:
        with guard.held(real, write=not readonly, image_only=True) as disk:
            device = proc.text([*args, disk.path], what="attaching a loop device", pass_fds=(disk.fd,)).strip()
    except BaseException:
        owners.release("images", real)
        raise
    if direct_io and not uses_direct_io(device):
        detach(device)
        raise OperationFailed(f"{device} did not take direct I/O (the image's filesystem may not support "
                              "O_DIRECT): the image would miss what the page cache holds")
    log.info("attached %s%s as %s", real.name, f" partition {partition.number}" if partition else "", device)
    return device


def uses_direct_io(device: str) -> bool:
    """Whether a loop device writes its backing file with O_DIRECT (sysfs ``loop/dio``)."""
    try:
        return (Path("/sys/block") / Path(device).name / "loop" / "dio").read_text().strip() == "1"
    except OSError:
        return False


def _unwind_on_sigterm() -> None:
    """Make SIGTERM raise ``Interrupted``, so every ``finally`` detaches and unmounts on the way out.

    The CLI installs such a handler itself; a notebook or script using the API would
    otherwise be killed by SIGTERM's default action with its disks still attached.
    Only the default action is replaced (a handler someone chose is kept), and only
    from the main thread, the one where Python runs signal handlers.
    """
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_interrupted)


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(f"stopped by signal {signal.Signals(signum).name}")


def detach(device: str) -> None:
    guard.check_device(device)
    backing = guard.loop_backing_file(device)
    proc.run(["losetup", "--detach", device], what=f"detaching {device}")
    _wait_released(device, backing)
    if backing is not None:
        owners.release("images", backing)


#: How long a detach may take to land: a device whose filesystem was just unmounted can still be busy.
RELEASE_WAIT_S = 10.0


def _wait_released(device: str, backing: Path | None) -> None:
    """Return once the device no longer holds ``backing`` (or after ``RELEASE_WAIT_S``).

    ``losetup --detach`` on a device the kernel still holds (its filesystem was
    unmounted a moment ago) only marks it to go when the last user lets go, and
    returns at once. A raw write right after would still see the image attached.
    """
    deadline = time.monotonic() + RELEASE_WAIT_S
    delay = 0.005
    while backing is not None and guard.loop_backing_file(device) == backing and time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


@contextmanager
def attached(image: Path, partition: Partition | None = None, *, readonly: bool = False,
             direct_io: bool = False) -> Iterator[str]:
    """A loop device for the image (or a partition of it), detached on the way out, whatever happens."""
    real = guard.check_image(image)
    device = attach(real, partition, readonly=readonly, direct_io=direct_io)
    backing = guard.loop_backing_file(device)
    try:
        yield device
    finally:
        if proc.run(["losetup", "--detach", device], check=False).returncode == 0:
            _wait_released(device, backing)
        owners.release("images", real)


def workspace_loops(root: Path | None = None) -> dict[str, Path]:
    """Loop devices whose backing file lies inside the workspace: {device: backing file}."""
    root = root or workspace.home()
    done = proc.run(["losetup", "--list", "--json", "--output", "NAME,BACK-FILE"], check=False)
    if done.returncode != 0 or not done.stdout.strip():
        return {}
    found = {}
    for dev in json.loads(done.stdout)["loopdevices"]:
        back = Path((dev.get("back-file") or "").removesuffix(" (deleted)"))
        if back.is_absolute() and (back == root or back.is_relative_to(root)):
            found[dev["name"]] = back
    return found


def loops_of(image: Path) -> list[str]:
    """Loop devices currently attached to this image."""
    real = Path(image).resolve()
    return [dev for dev, back in workspace_loops().items() if back == real]
