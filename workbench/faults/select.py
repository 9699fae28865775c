"""Choosing what to damage, deterministically: candidate files, and bit positions in located data.

Candidates are listed in sorted order and drawn with a PRNG seeded from the
fault's kind and seed, so the same seed on the same disk state picks the same
files and the same bits. Choosing bits is pure, and tested without root.
"""

from __future__ import annotations

import bisect
import itertools
import os
import random
import stat
from collections.abc import Sequence
from pathlib import Path

from ..errors import UsageError
from .records import BitFlip, Extent

MODES = ("uniform", "clustered")
#: Clustered rot falls within this many bytes of the disk: a few neighbouring sectors or blocks.
CLUSTER_BYTES = 64 * 1024


def files_under(root: Path, folders: Sequence[str], *, skip_suffixes: Sequence[str] = ()) -> list[str]:
    """Regular files (not symlinks) under ``root/folder`` for each folder, as sorted paths relative to root."""
    top = root.resolve()
    skip = tuple(skip_suffixes)
    found: set[str] = set()
    for folder in folders:
        base = (top / folder.strip("/")).resolve()
        if not base.is_relative_to(top):
            raise UsageError(f"the folder '{folder}' leads outside {root}")
        if base.is_file() and not (top / folder.strip("/")).is_symlink():
            found.add(str(base.relative_to(top)))
            continue
        if not base.is_dir():
            raise UsageError(f"there is no folder '{folder}' on the disk: name one that exists, e.g. 'home'")
        for dirpath, _dirs, names in os.walk(base):  # does not follow symlinked folders
            relative = os.path.relpath(dirpath, top)
            for name in names:
                if name.endswith(skip) or not stat.S_ISREG(os.lstat(os.path.join(dirpath, name)).st_mode):
                    continue
                found.add(os.path.normpath(os.path.join(relative, name)))
    return sorted(found)


def choose_files(candidates: Sequence[str], count: int, rng: random.Random) -> list[str]:
    """``count`` distinct files out of the candidates, sorted."""
    if count < 1:
        raise UsageError(f"the count must be at least 1, not {count}")
    if count > len(candidates):
        raise UsageError(f"asked for {count} files but only {len(candidates)} are there: lower --count")
    return sorted(rng.sample(list(candidates), count))


def choose_bits(located: Sequence[tuple[str, Sequence[Extent]]], count: int, mode: str, rng: random.Random,
                *, image: str = "", cluster_bytes: int = CLUSTER_BYTES) -> list[BitFlip]:
    """``count`` distinct bits in the located file data, sorted by image offset.

    The bits are drawn from the file data laid end to end in path order, not in
    disk order. ext4 spreads top-level folders over block groups at random
    (Orlov), so two disks built from the same seed hold the same files at
    different places: drawing by disk position would rot other files on each
    disk, and strategies compared on separate disks would face unequal damage.

    ``uniform`` spreads the bits over all the data; ``clustered`` puts them in one
    window of ``cluster_bytes`` (widened if it cannot hold them): a stretch of one
    file, running into the next files of its folder, which ext4 keeps in the same
    block group. That is the shape of real media damage, reproducibly.
    """
    if mode not in MODES:
        raise UsageError(f"unknown bit-rot mode '{mode}': choose one of {', '.join(MODES)}")
    if count < 1:
        raise UsageError(f"the count must be at least 1, not {count}")
    pieces = sorted(
        (name, extent.file_offset, extent.image_offset, extent.length) for name, extents in located
        for extent in extents if extent.length > 0
    )
    starts = list(itertools.accumulate((piece[3] for piece in pieces), initial=0))
    total = starts.pop()
    if total * 8 < count:
        raise UsageError(f"the chosen files hold only {total} bytes of data: too few for {count} flipped bits")
    low, high = 0, total
    if mode == "clustered":
        width = min(total, max(cluster_bytes, -(-count // 8)))
        low = min(max(rng.randrange(total) - width // 2, 0), total - width)
        high = low + width
    flips = []
    for position in rng.sample(range(low * 8, high * 8), count):
        byte = position // 8
        at = bisect.bisect_right(starts, byte) - 1
        name, file_offset, image_offset, _length = pieces[at]
        within = byte - starts[at]
        flips.append(BitFlip(image_offset + within, position % 8, image, name, file_offset + within))
    return sorted(flips, key=lambda f: (f.offset, f.bit))
