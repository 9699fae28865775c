"""One writer per target: a lock for every kind of target (image, clone, backup, mirror, two-way, raid1).

A lock is a file, ``WORKSPACE/.locks/KEY.lock`` (KEY a hash of the target's resolved path, so a
mirror folder or a clone image gets no file of ours beside it), ``flock``'ed by its holder and
holding the holder's :class:`~workbench.disk.owners.Owner` (pid and start time), the command it
runs and the target. The kernel drops a ``flock`` when its holder dies, even by SIGKILL, so a
dead holder's lock is free without anyone clearing it; the record only names a live holder in
the refusal: a second writer refuses at once, in one line, with :class:`TargetBusy`.

A lock file is removed only under its lock (by ``workbench cleanup``, for a dead holder); a
taker checks, once it holds the ``flock``, that the file it locked is still the one at the path,
so a removal between its open and its ``flock`` cannot give two writers one target.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import inspect
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

from .. import workspace
from ..errors import UsageError
from .owners import Owner

FOLDER = ".locks"

P = ParamSpec("P")
R = TypeVar("R")


class TargetBusy(UsageError):
    """Another live process writes this target; nothing was changed."""


def lock_file(target: Path, root: Path | None = None) -> Path:
    key = hashlib.sha256(os.fsencode(str(target.resolve()))).hexdigest()[:24]
    return (root or workspace.home()) / FOLDER / f"{key}.lock"


@contextmanager
def held(target: Path, what: str) -> Iterator[None]:
    """Be the one writer of ``target`` (``what`` names its kind in the refusal) for the block."""
    fd = _take(target, what)
    try:
        yield
    finally:
        os.close(fd)  # closing drops the flock; the file stays for the next taker


def writing(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate an engine method that writes its ``target`` argument: it runs as the target's one writer."""
    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def locked(*args: P.args, **kwargs: P.kwargs) -> R:
            target = Path(signature.bind(*args, **kwargs).arguments["target"])
            with held(target, what):
                return method(*args, **kwargs)
        return locked
    return decorate


def _take(target: Path, what: str) -> int:
    file = lock_file(target)
    file.parent.mkdir(exist_ok=True)
    while True:
        fd = os.open(file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise TargetBusy(f"another process ({holder}) is writing the {what} {target}: "
                             "wait for it to finish") from None
        if _same_file(fd, file):
            break
        os.close(fd)  # cleanup removed the file between our open and our flock: take the new one
    owner = Owner.current()
    record = {"pid": owner.pid, "start_ticks": owner.start_ticks, "argv": _argv(), "target": str(target)}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode(), 0)
    return fd


def _same_file(fd: int, file: Path) -> bool:
    try:
        on_path = file.stat()
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_path.st_dev, on_path.st_ino)


def _holder(fd: int) -> str:
    """The holder as its record names it: pid and command (a record being written reads as unknown)."""
    try:
        data = json.loads(os.pread(fd, 65536, 0) or b"{}")
        return f"pid {int(data['pid'])}: {str(data.get('argv', ''))[:80]}".rstrip(": ")
    except (OSError, ValueError, KeyError, TypeError):
        return "pid unknown"


def _argv() -> str:
    try:
        return Path("/proc/self/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def live_targets(root: Path | None = None) -> set[Path]:
    """The targets a live holder writes now (what cleanup must leave alone)."""
    return {target for target, _ in _scan(root, remove_free=False) if target is not None}


def remove_free(root: Path | None = None) -> list[Path]:
    """Remove the lock files no live process holds (a dead holder's); return them."""
    return [file for _, file in _scan(root, remove_free=True)]


def _scan(root: Path | None, *, remove_free: bool) -> list[tuple[Path | None, Path]]:
    folder = (root or workspace.home()) / FOLDER
    found: list[tuple[Path | None, Path]] = []
    for file in sorted(folder.glob("*.lock")) if folder.is_dir() else []:
        try:
            fd = os.open(file, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not remove_free:
                    found.append((_target(fd), file))
                continue
            if remove_free:
                file.unlink(missing_ok=True)
                found.append((None, file))
        finally:
            os.close(fd)
    return found


def _target(fd: int) -> Path | None:
    try:
        return Path(json.loads(os.pread(fd, 65536, 0))["target"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
