"""Small file-system steps shared by the builder and churn: write, own, stamp.

Ownership is only set when running as root (without root the tree is still
deterministic: everything belongs to the current user).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from ..errors import DamageFound, UsageError
from ..jsonfile import read_json

IS_ROOT = os.geteuid() == 0
#: Where the build and churn record lives inside the generated tree (part of the OS, on purpose).
STATE_PATH = "var/lib/workbench/dataset.json"


def write_file(path: Path, chunks: Iterable[bytes], *, mode: int, uid: int, gid: int, mtime_ns: int,
               exclusive: bool = True) -> int:  # fmt: skip
    """Write a file from chunks, then set mode, owner and mtime; returns the bytes written."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        written = 0
        for chunk in chunks:
            written += os.write(fd, chunk) if len(chunk) < (1 << 30) else _write_all(fd, chunk)
        finish(fd, mode=mode, uid=uid, gid=gid, mtime_ns=mtime_ns)
    finally:
        os.close(fd)
    return written


def _write_all(fd: int, data: bytes) -> int:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    return len(data)


def finish(fd_or_path: int | Path, *, mode: int, uid: int, gid: int, mtime_ns: int) -> None:
    """chown (as root), chmod and set atime = mtime on an fd or a (non-symlink) path.

    chown comes first because it clears the setuid and setgid bits.
    """
    if IS_ROOT:
        os.chown(fd_or_path, uid, gid)
    os.chmod(fd_or_path, mode)
    os.utime(fd_or_path, ns=(mtime_ns, mtime_ns))


def stamp(path: Path, mtime_ns: int) -> None:
    """Set a path's times without following a final symlink."""
    os.utime(path, ns=(mtime_ns, mtime_ns), follow_symlinks=False)


def lchown(path: Path, uid: int, gid: int) -> None:
    if IS_ROOT:
        os.chown(path, uid, gid, follow_symlinks=False)


@dataclass
class DatasetState:
    """What was built, so churn can refuse to go back in time and reuse the build's parameters."""

    profile: str
    seed: int
    data_size: int
    start: str  # ISO time of day 0, 00:00 (the build)
    build_day: int = 0
    last_day: int | None = None  # the last churn slice applied: day and hour
    last_hour: int | None = None

    @property
    def start_time(self) -> datetime:
        return datetime.fromisoformat(self.start)


def read_state(root: Path) -> DatasetState:
    path = root / STATE_PATH
    data = read_json(path, "dataset state", fix="rebuild the dataset", damaged=DamageFound)
    if data is None:
        raise UsageError(
            f"{root} holds no workbench dataset ({STATE_PATH} is missing): run 'workbench dataset build' first"
        )
    try:
        return DatasetState(**data)
    except TypeError as exc:  # not a mapping, or other keys than a state's
        raise DamageFound(f"'{path}' is not a readable dataset state ({exc}): rebuild the dataset") from exc


def write_state(root: Path, state: DatasetState, mtime_ns: int) -> None:
    path = root / STATE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(asdict(state), indent=2, sort_keys=True) + "\n"
    write_file(path, [text.encode()], mode=0o644, uid=0, gid=0, mtime_ns=mtime_ns, exclusive=False)
