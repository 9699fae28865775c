"""Served disks: a workspace image whose bad sectors fail with EIO, shown as a file a loop device can attach.

``served(image, bad)`` starts the sector server (:mod:`workbench.disk.sector_server`,
its own process) on a FUSE mount inside the workspace and yields the served
file, ``.mnt/served-<name>-XXXX/fuse/<image name>``. The served file is a
workspace image like any other, so ``loop.attached`` and ``mounting.mounted``
take it as it is::

    with served(image) as disk, mounted(disk) as root:
        (root / "home/alice/photo.jpg").read_bytes()      # OSError(EIO) if it lies on a bad sector

On the way out, whatever happens (an error, Ctrl-C, SIGTERM), the layers go in
order: the mount and the loop device (their own context managers, inside this
one), then the FUSE mount (``fusermount3 -u``), then the server, which exits
once unmounted. ``workbench cleanup`` does the same for what a killed run left
(:func:`leftover_places` finds them, :func:`release_place` releases one).

Each served disk owns one folder, ``.mnt/served-<name>-XXXX/``:
- ``fuse/``: the FUSE mount point;
- ``server.json``: the server's state file (pid, image, mount, list), written
  by the server before it mounts and removed when it exits (see the format in
  :mod:`workbench.disk.sector_server`);
- ``server.log``: its stderr;
- ``bad-sectors.json``: the list, when given for this serving only.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import guard, proc, workspace
from ..errors import MissingToolError, OperationFailed, UsageError
from . import owners, sector_list
from .loop import _unwind_on_sigterm, loops_of, workspace_loops
from .sector_list import BadSectors, SectorRange
from .sector_server import STATE_FORMAT, SUBTYPE

log = logging.getLogger("workbench.disk")

PREFIX = "served-"
#: How long the server may take to start and mount (a Python start-up on a loaded machine).
START_WAIT_S = 30.0
#: How long it may take to exit once unmounted, before SIGTERM, then SIGKILL.
STOP_WAIT_S = 10.0


@dataclass(frozen=True)
class ServedPlace:
    """The folder of one served disk, and the names inside it."""

    home: Path

    @property
    def point(self) -> Path:
        return self.home / "fuse"

    @property
    def state(self) -> Path:
        return self.home / "server.json"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    @property
    def private_list(self) -> Path:
        return self.home / "bad-sectors.json"


def has_bad_sectors(image: Path) -> bool:
    """Whether a workspace image has a bad-sector list beside it with at least one sector in it."""
    return bool(sector_list.load(sector_list.list_path(guard.check_image(image))))


@contextmanager
def opened(image: Path) -> Iterator[Path]:
    """The path to read and attach the disk through: the image itself, or its served file if it has bad sectors."""
    real = guard.check_image(image)
    if not has_bad_sectors(real):
        yield real
        return
    with served(real) as disk:
        yield disk


@contextmanager
def served(image: Path, bad: Iterable[SectorRange] | None = None) -> Iterator[Path]:
    """Serve a workspace image through the sector server; yield the served file.

    ``bad=None`` serves the image's own list (``pc.img.badsectors.json``), so a
    sector cleared by a write stays cleared; given ranges are served for this
    time only (the list is written into the served disk's folder and goes with it).
    """
    proc.require_root("serving a disk with bad sectors (a FUSE mount)")
    real = guard.check_image(image)
    busy = loops_of(real)
    if busy:
        raise UsageError(f"'{real.name}' is attached as {', '.join(busy)}: a served disk must be its only user")
    _require_server_tools()
    _unwind_on_sigterm()
    place = ServedPlace(Path(tempfile.mkdtemp(prefix=f"{PREFIX}{real.stem}-", dir=workspace.mount_dir())))
    place.point.mkdir()
    if bad is None:
        list_file = sector_list.list_path(real)
    else:
        list_file = place.private_list
        sector_list.save(list_file, BadSectors.of(bad))
    server = None
    owners.claim("served", place.home)
    owners.claim("mounts", place.point)
    try:
        with open(place.log, "ab") as output:
            server = proc.spawn(
                [sys.executable, "-m", "workbench.disk.sector_server", "--image", real, "--mount", place.point,
                 "--bad-sectors", list_file, "--state", place.state],
                stdout=output, stderr=output, what="the sector server")
        _wait_mounted(place, server)
        log.info("serving %s with %d bad sectors at %s", real.name, sector_list.load(list_file).sectors, place.point)
        yield place.point / real.name
    finally:
        try:
            release_place(place, server)
        finally:
            owners.release("mounts", place.point)
            owners.release("served", place.home)


def _require_server_tools() -> None:
    proc.require_tool("fusermount3")
    if importlib.util.find_spec("mfusepy") is None:
        raise MissingToolError("the Python package 'mfusepy' is not installed: run 'make setup' "
                               "(or pip install mfusepy)")


def _wait_mounted(place: ServedPlace, server: proc.Child) -> None:
    deadline = time.monotonic() + START_WAIT_S
    delay = 0.01
    while not _is_fuse_mount(place.point):
        if server.poll() is not None:
            raise OperationFailed(f"the sector server exited with code {server.returncode} before mounting: "
                                  f"{_last_line(place.log)}")
        if time.monotonic() > deadline:
            raise OperationFailed(f"the sector server did not mount within {START_WAIT_S:g} s: {_last_line(place.log)}")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        lines = []
    return lines[-1] if lines else "no message"


def fuse_mounts(root: Path | None = None) -> list[Path]:
    """The sector server's FUSE mounts inside the workspace, from /proc/self/mountinfo (never stat'ed: a dead
    server's mount answers ENOTCONN, a stopped one would hang)."""
    root = root or workspace.home()
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        fstype = fields[fields.index("-") + 1]
        point = Path(_unescape(fields[4]))
        if fstype == f"fuse.{SUBTYPE}" and point.is_relative_to(root):
            found.append(point)
    return found


def _is_fuse_mount(point: Path) -> bool:
    return point in fuse_mounts(point.parent)


def _unescape(field: str) -> str:
    """mountinfo escapes spaces and friends as octal (\\040)."""
    return os.fsdecode(field.encode().decode("unicode_escape").encode("latin-1"))


def leftover_places(root: Path | None = None) -> list[ServedPlace]:
    """Served disks' folders in the workspace: every ``served-*`` folder in ``.mnt``, and the folder above
    any of our FUSE mounts elsewhere in the workspace."""
    root = root or workspace.home()
    places = {ServedPlace(path) for path in (root / ".mnt").glob(f"{PREFIX}*") if path.is_dir()}
    places |= {ServedPlace(point.parent) for point in fuse_mounts(root)}
    return sorted(places, key=lambda place: str(place.home))


def serving(image: Path, root: Path | None = None) -> list[ServedPlace]:
    """The served disks of this image still in place: a running server's, or what a killed run left."""
    real = Path(image).resolve()
    return [place for place in leftover_places(root) if _state(place).get("image") == str(real)]


def users_of(image: Path) -> list[str]:
    """What holds an image: the loop devices on it, and for each serving of it the loop devices on the served
    file, or the FUSE mount itself when none is attached (``loop.loops_of`` sees only the first)."""
    held = loops_of(image)
    loops = workspace_loops()
    for place in serving(image):
        served_file = place.point / Path(image).name
        held += [dev for dev, back in loops.items() if back == served_file] or [str(place.point)]
    return held


def release_place(place: ServedPlace, server: proc.Child | None = None) -> list[str]:
    """Unmount the FUSE mount, stop the server, remove the folder; return what was done.

    The loop device over the served file must be detached before (its backing
    file would keep the mount busy, and the unmount would have to be lazy).
    ``server`` is the process when we started it; otherwise the pid comes from
    the state file, and is signalled only if it is still that server.
    """
    done = []
    pid = server.pid if server is not None else _server_pid(place)
    ours = server is not None or (pid is not None and is_server(pid, place))  # asked before it exits on unmount
    if _is_fuse_mount(place.point):
        _unmount_fuse(place.point)
        done.append(f"unmounted {place.point}")
    if server is not None:
        proc.stop(server, wait_s=STOP_WAIT_S)
    elif ours and pid is not None:
        _stop_pid(pid, place)
    if ours and server is None:
        done.append(f"stopped the sector server (pid {pid})")
    for path in (place.state, place.log, place.private_list):
        path.unlink(missing_ok=True)
    for folder in (place.point, place.home):
        try:
            folder.rmdir()
        except OSError:
            pass
    return done


def _unmount_fuse(point: Path) -> None:
    for attempt in range(5):
        if proc.run(["fusermount3", "-u", point], check=False).returncode == 0:
            return
        time.sleep(0.1 * (attempt + 1))
    log.warning("%s stayed busy (is a loop device still attached to it?); unmounting lazily", point)
    proc.run(["fusermount3", "-u", "-z", point], check=False)


def _state(place: ServedPlace) -> dict:
    """The server's state record, or {} when there is none (a server that exited removes it)."""
    try:
        record = json.loads(place.state.read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) and record.get("format") == STATE_FORMAT else {}


def _server_pid(place: ServedPlace) -> int | None:
    pid = _state(place).get("pid")
    return pid if isinstance(pid, int) else None


def is_server(pid: int, place: ServedPlace) -> bool:
    """Whether ``pid`` is the sector server of this place (a pid can be reused by any process)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"workbench.disk.sector_server" in argv and os.fsencode(place.state) in argv


def _stop_pid(pid: int, place: ServedPlace) -> None:
    """Stop a server someone else started (a killed run's): wait, SIGTERM, SIGKILL, each only while it is ours."""
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if not is_server(pid, place):
            return
        if sig is not None:
            log.warning("the sector server (pid %d) is still running: sending %s", pid, sig.name)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + STOP_WAIT_S
        while is_server(pid, place) and time.monotonic() < deadline:
            time.sleep(0.05)
