"""Conflicting edits: the same files changed on the machine and, differently, on a second machine's copy.

Not damage but the users' own work: someone edits a few documents on the
laptop while someone else edits the same documents on the desktop that holds
the laptop's mirror, before the next sync. Whatever a sync does next decides
whether a version is lost: a two-way sync keeps both (a conflict copy), a
one-way mirror writes the laptop's over the desktop's.

The copy is written first and a minute later than the machine's (its mtime),
so a watcher on the machine (which never sees the copy change) and a sync that
keeps the newer version by name both meet the same, seeded, situation. Each
file gets a line appended, a different one on each side. Files with more than
one name are left out (an edit through one name changes them all).

The record names the edited files, and every version written, with its BLAKE3
hash and size: ``versions_lost`` is judged against it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import blake3

from .. import workspace
from ..errors import UsageError
from .records import FaultRecord, rng, timestamp
from .select import choose_files, files_under

#: How much later the copy's edit is (its mtime), so that it is the newer version.
COPY_LATER = timedelta(minutes=1)


def edit_both_sides(root: Path, copies: Mapping[str, Path], *, seed: int = 0, count: int = 3,
                    folders: Sequence[str] = ("home",), at: datetime | None = None) -> FaultRecord:
    """Edit ``count`` files under ``folders`` of the mounted ``root`` and their counterparts in ``copies``.

    ``copies`` maps a folder of the root tree to a plain copy of it elsewhere (a mirror's target);
    files that have a counterpart there are chosen first.
    """
    base = workspace.resolve(root, must_exist=True)
    when = at or datetime.now(UTC)
    candidates = [name for name in files_under(base, folders) if os.lstat(base / name).st_nlink == 1]
    with_copy = [name for name in candidates if _counterpart(name, copies) is not None]
    pool = with_copy if len(with_copy) >= count else candidates
    if len(pool) < count:
        raise UsageError(f"asked to edit {count} files but only {len(pool)} are there: lower the count")
    chosen = choose_files(pool, count, rng("conflicting-edits", seed))
    versions = []
    for name in chosen:
        other = _counterpart(name, copies)
        if other is not None:
            versions.append(_edit(other, name, "copy", f"edited on the other machine ({name})", when + COPY_LATER))
        versions.append(_edit(base / name, name, "source", f"edited on this machine ({name})", when))
    return FaultRecord(kind="conflicting-edits", seed=seed, time=timestamp(at), target=str(base), files=chosen,
                       details={"versions": versions, "copies": {k: str(v) for k, v in copies.items()}})


def _counterpart(name: str, copies: Mapping[str, Path]) -> Path | None:
    for folder, copy in copies.items():
        prefix = folder.strip("/") + "/" if folder.strip("/") else ""
        if name.startswith(prefix):
            other = copy / name.removeprefix(prefix)
            if other.is_file() and not other.is_symlink() and os.lstat(other).st_nlink == 1:
                return other
    return None


def _edit(path: Path, name: str, side: str, line: str, when: datetime) -> dict:
    """Append ``line`` to the file, give it ``when`` as its mtime; the version written, as the record keeps it."""
    with open(path, "ab") as handle:
        handle.write(f"\n{line}\n".encode())
    stamp = int(when.timestamp() * 1e9)
    os.utime(path, ns=(stamp, stamp))
    data = path.read_bytes()
    return {"side": side, "path": name, "hash": blake3.blake3(data).hexdigest(), "size": len(data)}
