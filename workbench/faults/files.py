"""Accidental deletion: some files, or a whole folder, removed through the filesystem.

It works on a mounted filesystem (``root`` is its mount point), because that
is where users delete things; ``delete_on_disk`` mounts a disk image first.
Candidates are chosen from the seed among the files (or subfolders) under
the given folders, so the same seed on the same tree deletes the same things.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import workspace
from ..disk.mounting import mounted
from ..errors import UsageError
from .records import FaultRecord, rng, timestamp
from .select import choose_files, files_under


def delete_files(root: Path, *, seed: int = 0, count: int = 1, folders: Sequence[str] = ("home",),
                 at: datetime | None = None) -> FaultRecord:
    """Delete ``count`` files chosen from the seed among the regular files under ``folders``."""
    base = workspace.resolve(root, must_exist=True)
    chosen = choose_files(files_under(base, folders), count, rng("deletion", seed))
    sizes = {name: (base / name).stat().st_size for name in chosen}
    for name in chosen:
        (base / name).unlink()
    return FaultRecord(
        kind="deletion", seed=seed, time=timestamp(at), target=str(base), files=chosen,
        details={"what": "files", "bytes": sum(sizes.values()), "sizes": sizes},
    )


def delete_folder(root: Path, *, seed: int = 0, folders: Sequence[str] = ("home",),
                  at: datetime | None = None) -> FaultRecord:
    """Delete one whole folder (with everything in it) chosen from the seed among those under ``folders``.

    The given folders themselves are not candidates, only the folders inside them.
    """
    base = workspace.resolve(root, must_exist=True)
    candidates = _subfolders(base, folders)
    if not candidates:
        raise UsageError(f"there is no folder inside {', '.join(folders)} to delete: make one first")
    chosen = rng("deletion", seed).choice(candidates)
    lost = files_under(base, [chosen])
    sizes = {name: (base / name).stat().st_size for name in lost}
    shutil.rmtree(base / chosen)
    return FaultRecord(
        kind="deletion", seed=seed, time=timestamp(at), target=str(base), files=lost,
        details={"what": "folder", "folder": chosen, "bytes": sum(sizes.values()), "sizes": sizes},
    )


def delete_on_disk(image: Path, *, folder: bool = False, role: str = "root", **options: Any) -> FaultRecord:
    """Mount a disk image and delete files (or a folder) on it; options as for the functions above."""
    real = workspace.resolve(image, must_exist=True)
    with mounted(real, role) as point:
        record = delete_folder(point, **options) if folder else delete_files(point, **options)
    record.target = str(real)
    return record


def _subfolders(base: Path, folders: Sequence[str]) -> list[str]:
    found = []
    for folder in folders:
        top = base / folder.strip("/")
        if not top.is_dir():
            raise UsageError(f"there is no folder '{folder}' on the disk: name one that exists, e.g. 'home'")
        for dirpath, dirs, _names in os.walk(top):
            dirs[:] = [d for d in dirs if not (Path(dirpath) / d).is_symlink()]
            found += [str((Path(dirpath) / d).relative_to(base)) for d in dirs]
    return sorted(found)
