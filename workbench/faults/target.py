"""Target corruption: bits flipped inside what a strategy keeps (a backup repository, an image, a clone).

The target is a folder (every file in it is a candidate, e.g. a repository's
chunk files), one file (an image, a clone's disk image), or the folders of a real
tool's repository that hold its data (``Protection.target_paths``: restic's and
borg's ``data/``, so a flip lands in a pack or segment, not in a lock or the config). Bits are chosen
among the *allocated* bytes (SEEK_DATA), so a sparse image's holes, which hold
no data, are not wasted on. Files are taken in sorted order and laid end to
end, so ``clustered`` damage falls within one file or its sorted neighbours.

Each file's access and modification times are put back afterwards: rot does
not touch mtimes, so a quick check (size + mtime) must not notice it either.
To rot file data *inside* a clone's filesystem instead, use bit rot on the
clone image (:func:`workbench.faults.bitrot.inject_bitrot`).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from .. import workspace
from ..disk.loop import workspace_loops
from ..disk.mounting import drop_caches
from ..errors import UsageError
from ..sparse import data_extents
from . import raw
from .records import BitFlip, Extent, FaultRecord, rng, timestamp
from .select import choose_bits, files_under


def corrupt_target(path: Path | Sequence[Path], *, seed: int = 0, count: int = 8, mode: str = "uniform",
                   at: datetime | None = None) -> FaultRecord:
    """Flip ``count`` bits in the data of the target folder's files, or of the target file.

    ``path`` may also be several folders and files of one target (what an engine says holds its
    stored data: restic's and borg's ``data/``, not their locks or config): their files are laid
    end to end as one, so ``count`` bits fall among all of them, as on a single folder.
    """
    bases = [workspace.resolve(p, must_exist=True) for p in ([path] if isinstance(path, (str, os.PathLike)) else path)]
    if not bases:
        raise UsageError("no target given to corrupt")
    base = bases[0] if len(bases) == 1 else Path(os.path.commonpath(bases))
    if len(bases) > 1:
        root, names = base, files_under(base, [os.path.relpath(b, base) for b in bases])
    elif base.is_dir():
        root, names = base, files_under(base, ["."])
    else:
        root, names = base.parent, [base.name]
    busy = set(workspace_loops().values())
    located, running = [], 0
    for name in names:
        if (root / name).resolve() in busy:
            raise UsageError(f"'{name}' is attached to a loop device: release it first ('workbench cleanup')")
        extents = _allocated(root / name, running)
        running += (root / name).stat().st_size
        if extents:
            located.append((name, extents))
    if not located:
        raise UsageError(f"'{path}' holds no data to corrupt")
    chosen = choose_bits(located, count, mode, rng("target-corruption", seed))
    flips = []
    for f in chosen:
        assert f.file_offset is not None  # choose_bits places every bit in a file
        flips.append(BitFlip(f.file_offset, f.bit, str(root / f.file), f.file, f.file_offset))
    by_file: dict[str, list[BitFlip]] = defaultdict(list)
    for flip in flips:
        by_file[flip.path].append(flip)
    for file, file_flips in by_file.items():
        times = os.stat(file)
        raw.flip_bits(Path(file), file_flips, drop=False)
        os.utime(file, ns=(times.st_atime_ns, times.st_mtime_ns))
    drop_caches(*(Path(file) for file in by_file))
    return FaultRecord(
        kind="target-corruption", seed=seed, time=timestamp(at), target=str(base),
        files=sorted({flip.file for flip in flips}), bits=flips,
        details={"mode": mode, "count": count, "candidates": len(located),
                 **({"paths": [str(b) for b in bases]} if len(bases) > 1 else {})},
    )


def _allocated(path: Path, base: int) -> list[Extent]:
    """The file's data regions, placed at ``base`` + file offset on the line of all files."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        regions = data_extents(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)
    return [Extent(offset, base + offset, length) for offset, length in regions]
