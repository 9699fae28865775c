"""A folder of files as a tool leaves it (a mirror, a restored point's root): listed, and copied out with ``cp -a``.

The mirror engines keep their one point as a plain folder, and partclone's
point is read through its restored filesystem: either way a listing is a walk
of a folder, and a targeted restore is what a user would type,
``cp -a --parents PATH... DESTINATION`` (modes, owners, times, links, xattrs kept).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ... import durable, proc
from ...errors import DamageFound, UsageError
from ...jsonfile import read_json
from ..base import Listed, RestoreReport, kind_of
from ..mirror.tree import TEMP_PREFIX

#: Top-level names that belong to the folder's filesystem, not to the user: never listed, copied or judged.
FILESYSTEM_NAMES = ("lost+found",)


def save_record(path: Path, data: dict[str, Any]) -> None:
    """Replace a tool's record beside its mirror durably, written aside under a name the scans skip."""
    text = json.dumps(data, separators=(",", ":"))
    durable.write_atomic(path, text.encode(), aside=path.with_name(f"{TEMP_PREFIX}{path.name}.tmp"))


def load_record(path: Path) -> dict[str, Any] | None:
    """A tool's record, or None if there is none; one that cannot be read is damage found."""
    data = read_json(path, "mirror record", fix="remove it and sync again", damaged=DamageFound)
    if data is not None and not isinstance(data, dict):
        raise DamageFound(f"'{path}' is not a readable mirror record (not a JSON object): remove it and sync again")
    return data


def walk(root: Path, *, left_out: Iterable[str] = ()) -> Iterable[tuple[str, os.stat_result]]:
    """(posix path relative to ``root``, lstat) of every entry below it, parents first, names sorted;
    ``left_out`` names at the top are skipped with everything under them."""
    skipped = set(left_out)
    stack = [""]
    while stack:
        folder = stack.pop()
        with os.scandir(root / folder if folder else root) as entries:
            names = sorted(entry.name for entry in entries)
        children = []
        for name in names:
            if not folder and name in skipped:
                continue
            rel = f"{folder}/{name}" if folder else name
            info = os.lstat(root / rel)
            yield rel, info
            if stat.S_ISDIR(info.st_mode):
                children.append(rel)
        stack.extend(reversed(children))


def listing(root: Path, *, left_out: Iterable[str] = (), hashes: dict[str, str] | None = None,
            hash_name: str | None = None) -> list[Listed]:
    """Every entry below ``root`` as ``Listed``, with the content hash a tool reported where there is one."""
    known = hashes or {}
    found = []
    for rel, info in walk(root, left_out=left_out):
        kind = kind_of(info.st_mode)
        digest = known.get(rel) if kind == "file" else None
        found.append(Listed(rel, kind, info.st_size if kind == "file" else 0, info.st_mtime_ns, digest,
                            hash_name if digest else None))
    return found


def top_names(root: Path, *, left_out: Iterable[str] = ()) -> list[str]:
    skipped = set(left_out)
    return sorted(name for name in os.listdir(root) if name not in skipped)


def copy_out(root: Path, paths: Sequence[str], destination: Path, point_id: str) -> RestoreReport:
    """Copy ``paths`` (relative to ``root``) under ``destination`` at the same relative paths, with ``cp -a``."""
    wanted = [_checked(p) for p in paths]
    present = [p for p in wanted if os.path.lexists(root / p)]
    missing = sorted(set(wanted) - set(present))
    destination.mkdir(parents=True, exist_ok=True)
    if present:
        proc.run(["cp", "-a", "--parents", "--", *present, destination], cwd=root,
                 what=f"copying {len(present)} path(s) back from point {point_id}")
    files = bytes_written = 0
    for path in present:
        for info in _files_at(root / path):
            files += 1
            bytes_written += info.st_size
    return RestoreReport(point_id, bytes_written=bytes_written, files=files, holes=[f"{p}: not in the point"
                                                                                   for p in missing])


def _files_at(path: Path) -> Iterable[os.stat_result]:
    info = os.lstat(path)
    if stat.S_ISREG(info.st_mode):
        yield info
    elif stat.S_ISDIR(info.st_mode):
        yield from (entry for _, entry in walk(path) if stat.S_ISREG(entry.st_mode))


def _checked(path: str) -> str:
    clean = path.strip("/")
    if not clean or ".." in Path(clean).parts:
        raise UsageError(f"'{path}' is not a path inside the point: give it as the listing names it")
    return clean
