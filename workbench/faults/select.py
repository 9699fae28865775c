"""Choosing what to damage, deterministically: candidate files, and bit positions in located data.

Candidates are listed in sorted order and drawn with a PRNG seeded from the
fault's kind and seed, so the same seed on the same disk state picks the same
files and the same bits. Choosing bits is pure, and tested without root.
"""

from __future__ import annotations

import bisect
import os
import random
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from .records import BitFlip

if TYPE_CHECKING:
    from .locate import Extent

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

    ``uniform`` spreads them over all located bytes; ``clustered`` puts them all
    within ``cluster_bytes`` of the disk around one random spot (widening the
    window if the data there is too small to hold them), as real media damage does.
    """
    if mode not in MODES:
        raise UsageError(f"unknown bit-rot mode '{mode}': choose one of {', '.join(MODES)}")
    if count < 1:
        raise UsageError(f"the count must be at least 1, not {count}")
    pieces = sorted(
        ((extent.image_offset, extent.length, name, extent.file_offset) for name, extents in located
         for extent in extents if extent.length > 0),
    )
    total = sum(piece[1] for piece in pieces)
    if total * 8 < count:
        raise UsageError(f"the chosen files hold only {total} bytes of data: too few for {count} flipped bits")
    if mode == "clustered":
        center = _position(pieces, rng.randrange(total))[0]
        window = cluster_bytes
        while True:
            pieces_in = _clip(pieces, center - window // 2, center + window // 2)
            if sum(p[1] for p in pieces_in) * 8 >= count:
                break
            window *= 2
        pieces = pieces_in
        total = sum(p[1] for p in pieces)
    flips = []
    for position in rng.sample(range(total * 8), count):
        offset, name, file_offset = _position(pieces, position // 8)
        flips.append(BitFlip(offset, position % 8, image, name, file_offset))
    return sorted(flips, key=lambda f: (f.offset, f.bit))


def _position(pieces: Sequence[tuple[int, int, str, int]], index: int) -> tuple[int, str, int]:
    """Byte number ``index`` of the concatenated pieces -> (image offset, file, file offset)."""
    starts = []
    running = 0
    for piece in pieces:
        starts.append(running)
        running += piece[1]
    at = bisect.bisect_right(starts, index) - 1
    image_offset, _length, name, file_offset = pieces[at]
    within = index - starts[at]
    return image_offset + within, name, file_offset + within


def _clip(pieces: Sequence[tuple[int, int, str, int]], low: int, high: int) -> list[tuple[int, int, str, int]]:
    """The parts of the pieces that fall within [low, high) of the image."""
    clipped = []
    for image_offset, length, name, file_offset in pieces:
        start, end = max(image_offset, low), min(image_offset + length, high)
        if start < end:
            clipped.append((start, end - start, name, file_offset + start - image_offset))
    return clipped
