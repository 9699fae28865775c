"""The shape of a folder: the statistics a profile made from it must reproduce.

``profile-from`` writes a profile whose generated tree has the same shape as the
folder it read, and its tests compare the two with this one definition:

- ``files``: regular file names (each name of a hard link counts);
- ``bytes``: the files' apparent bytes, each inode once;
- ``median_size``: the median apparent size over the file names;
- ``specials``: how many entries of each special kind: ``hardlink`` (file names
  that share their inode with another name in the folder), ``symlink``,
  ``sparse`` (files with a hole, as the manifest judges it), ``xattr`` (entries
  carrying at least one extended attribute), ``fifo`` and ``empty_file``.
"""

from __future__ import annotations

import os
import stat
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .tree_walk import Found

SPECIAL_KINDS = ("hardlink", "symlink", "sparse", "xattr", "fifo", "empty_file")


@dataclass(frozen=True)
class Shape:
    files: int
    bytes: int
    median_size: float
    specials: dict[str, int]


def linked_inodes(found: Sequence[Found]) -> set[tuple[int, int]]:
    """The inodes of regular files that have more than one name within the walk."""
    names = Counter(entry.inode for entry in found if entry.is_file and entry.stat.st_nlink > 1)
    return {inode for inode, count in names.items() if count > 1}


def has_xattrs(path: str | os.PathLike[str]) -> bool:
    try:
        return bool(os.listxattr(path, follow_symlinks=False))
    except OSError:
        return False


def special_kinds(entry: Found, linked: set[tuple[int, int]], xattrs: bool) -> list[str]:
    """The special kinds one entry counts for (pure, given whether it carries xattrs)."""
    kinds = []
    if entry.is_file and entry.inode in linked:
        kinds.append("hardlink")
    if entry.is_symlink:
        kinds.append("symlink")
    if entry.is_sparse:
        kinds.append("sparse")
    if xattrs:
        kinds.append("xattr")
    if stat.S_ISFIFO(entry.stat.st_mode):
        kinds.append("fifo")
    if entry.is_file and entry.stat.st_size == 0:
        kinds.append("empty_file")
    return kinds


def shape_of(root: str | os.PathLike[str], found: Sequence[Found]) -> Shape:
    """The shape of a walk of ``root`` (reads xattr names; nothing else beyond the walk)."""
    linked = linked_inodes(found)
    counts = dict.fromkeys(SPECIAL_KINDS, 0)
    seen: set[tuple[int, int]] = set()
    sizes: list[int] = []
    total = 0
    for entry in found:
        for kind in special_kinds(entry, linked, has_xattrs(os.path.join(root, entry.path))):
            counts[kind] += 1
        if entry.is_file:
            sizes.append(entry.stat.st_size)
            if entry.inode not in seen:
                seen.add(entry.inode)
                total += entry.stat.st_size
    return Shape(files=len(sizes), bytes=total, median_size=statistics.median(sizes) if sizes else 0.0,
                 specials=counts)
