"""Walking a user's folder, read-only: the one walk that copying, sizing and profiling share.

The walk never follows symlinks and stays on the folder's own filesystem (a
mount point inside it is left out, as ``rsync -x`` does). Entries come in
sorted order, a folder before what it holds, so two walks of the same folder
list the same entries.

Exclude patterns follow rsync's habit: a pattern without a ``/`` matches an
entry's name at any depth (``*.iso``, ``.cache``); one with a ``/`` (leading,
as in ``/lost+found``, or inside) matches the path relative to the folder
(``Videos/raw``, ``build/*``). An excluded folder is left out with everything in it.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import workspace
from ..errors import UsageError

SPARSE_SLACK = 64 << 10  # a file is sparse if this much more is unallocated than allocated (as the manifest says)


@dataclass(frozen=True)
class Found:
    path: str  # posix, relative to the folder walked
    stat: os.stat_result

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.stat.st_mode)

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.stat.st_mode)

    @property
    def is_symlink(self) -> bool:
        return stat.S_ISLNK(self.stat.st_mode)

    @property
    def inode(self) -> tuple[int, int]:
        return self.stat.st_dev, self.stat.st_ino

    @property
    def allocated(self) -> int:
        return self.stat.st_blocks * 512

    @property
    def is_sparse(self) -> bool:
        return self.is_file and self.allocated + SPARSE_SLACK < self.stat.st_size


@dataclass(frozen=True)
class TreeSize:
    """How big a folder is: names, and bytes counted once per inode."""

    files: int  # regular file names (a hard link's every name)
    bytes: int  # apparent bytes of the files, each inode once
    allocated_bytes: int  # what the files take on disk, each inode once (holes are free)
    entries: int  # every name walked, folders included


def source_folder(folder: str | os.PathLike[str]) -> Path:
    """A user's folder to read, checked: it exists, and the workspace (where it would be copied) is not in it."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise UsageError(f"'{folder}' is not a folder: name the folder whose files are the workload")
    real = path.resolve()
    home = workspace.home()
    if home == real or home.is_relative_to(real):
        raise UsageError(f"'{folder}' holds the workspace ({home}); a copy of it would copy itself: "
                         "name a folder outside the workspace")
    return real


def excluded(path: str, patterns: Sequence[str]) -> bool:
    """Whether a relative path is left out by one of ``patterns`` (pure; see the module docstring)."""
    name = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        text = pattern.strip("/")
        if "/" in pattern.rstrip("/"):
            if fnmatch.fnmatchcase(path, text):
                return True
        elif fnmatch.fnmatchcase(name, text):
            return True
    return False


def walk(folder: Path, exclude: Sequence[str] = ()) -> list[Found]:
    """Every entry under ``folder`` (not the folder itself), sorted, parents first; reads only."""
    device = os.lstat(folder).st_dev
    out: list[Found] = []
    stack = [""]
    while stack:
        rel = stack.pop()
        with os.scandir(folder / rel if rel else folder) as it:
            items = sorted(it, key=lambda item: item.name)
        below: list[str] = []
        for item in items:
            path = f"{rel}/{item.name}" if rel else item.name
            if excluded(path, exclude):
                continue
            st = item.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode) and st.st_dev != device:
                continue  # another filesystem mounted inside the folder
            out.append(Found(path, st))
            if stat.S_ISDIR(st.st_mode):
                below.append(path)
        stack.extend(reversed(below))
    return sorted(out, key=lambda found: found.path.split("/"))


def size_of(found: Sequence[Found]) -> TreeSize:
    """Names and bytes of a walk (pure)."""
    seen: set[tuple[int, int]] = set()
    files = apparent = allocated = 0
    for entry in found:
        if not entry.is_file:
            continue
        files += 1
        if entry.inode in seen:
            continue
        seen.add(entry.inode)
        apparent += entry.stat.st_size
        allocated += entry.allocated
    return TreeSize(files=files, bytes=apparent, allocated_bytes=allocated, entries=len(found))
