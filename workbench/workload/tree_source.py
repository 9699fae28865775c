"""A user's own folder as the workload: what a profile's ``tree:`` section says, and its churn.

A tree workload is a profile whose data is a copy of a real folder rather than
generated groups (``workbench compare --tree DIR`` writes one into the results
folder, ``tree.yaml``; a person may write their own and pass it as ``--profile``).
The copy lands in the home of the one user, ``home/user``, of a fresh system disk.

Churn without a profile: a share of the folder's files changes per simulated
day (``1%/day``), split over the kinds of change the profiles use, planned
like a profile's churn (deterministically for a seed, within the active hours).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import UsageError
from .tree_walk import TreeSize, size_of, source_folder, walk

TREE_USER = "user"
#: What a disk's root holds that is the filesystem's, not data: never copied.
DISK_EXCLUDE = ("/lost+found",)
DEFAULT_CHURN = "1%/day"
#: The kinds of change, and the share of a day's changes each takes (as the shipped profiles mix them).
CHURN_MIX = (("modify", 0.4), ("append", 0.2), ("create", 0.15), ("delete", 0.15), ("rename", 0.1))

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*(?:/\s*day)?\s*$")


@dataclass(frozen=True)
class TreeSource:
    source: Path  # the user's folder (absolute), or a disk image in the workspace; only ever read
    exclude: tuple[str, ...] = ()
    files: int = 0  # regular file names the churn acts on: the copy's (a disk's: those in /home)
    churn_per_day: float = 0.01  # the fraction of those files changed per simulated day
    disk: bool = False  # ``source`` is a disk image: its ext4 root is copied onto the cell's root, not home

    @property
    def into(self) -> str:
        """Where the copy lands on the cell's root filesystem."""
        return "" if self.disk else f"home/{TREE_USER}"


def parse_churn_rate(text: str | float) -> float:
    """'1%/day' (or '1%', '0') -> 0.01 (pure); a share of the files per simulated day, at most all of them."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        rate = float(text)
    elif str(text).strip() in ("0", "0%", "0%/day"):
        rate = 0.0
    else:
        match = _RATE.match(str(text))
        if not match:
            raise UsageError(f"--churn '{text}' is not a daily share: write it like 1%/day, 0.5%/day or 0")
        rate = float(match.group(1)) / 100
    if not 0 <= rate <= 1:
        raise UsageError(f"--churn '{text}' is not between 0%/day and 100%/day")
    return rate


def churn_counts(rate: float, files: int) -> list[tuple[str, int]]:
    """How many changes of each kind a day brings: ``rate`` x files in all (at least one when the rate
    is above 0), split by ``CHURN_MIX`` with the largest remainders rounded up (pure)."""
    total = max(1, round(rate * files)) if rate > 0 else 0
    exact = [share * total for _, share in CHURN_MIX]
    counts = [int(value) for value in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return [(op, count) for (op, _), count in zip(CHURN_MIX, counts) if count]


def tree_document(source: Path, *, exclude: Sequence[str], churn: str, size: TreeSize,
                  disk_users: Sequence[str] | None = None) -> dict[str, Any]:
    """The tree profile as a YAML document (pure); ``disk_users`` (the image's /home folders) for a disk."""
    what = "The folder" if disk_users is None else "The root filesystem of the disk"
    document: dict[str, Any] = {
        "description": f"{what} {source} ({size.files} files)",
        "default_data_size": max(size.allocated_bytes, 1 << 20),  # what the copy takes on disk
        "tree": {"source" if disk_users is None else "disk": str(source), "exclude": list(exclude),
                 "files": size.files, "churn": churn},
    }
    if disk_users is not None:
        document["users"] = list(disk_users)
    return document


def write_tree_profile(path: Path, folder: str | Path, *, exclude: Sequence[str] = (),
                       churn: str = DEFAULT_CHURN, disk_image: Path | None = None) -> Path:
    """Walk ``folder`` (reading only) and write the tree profile that copies it to ``path``.

    With ``disk_image``, ``folder`` is that image's root, mounted read-only by the caller.
    """
    parse_churn_rate(churn)
    source = source_folder(folder)
    exclude = [*exclude, *DISK_EXCLUDE] if disk_image is not None else list(exclude)
    found = walk(source, exclude)
    size = size_of(found)
    if size.entries == 0:
        raise UsageError(f"'{folder}' holds nothing to copy (after --exclude): name a folder with files")
    users = None
    if disk_image is not None:
        users = sorted(p.name for p in (source / "home").iterdir() if p.is_dir() and p.name.isidentifier()) \
            if (source / "home").is_dir() else []
        if not users:
            raise UsageError(f"the disk {disk_image} has no user folders in /home, which the strategies protect")
        homes = sum(1 for entry in found if entry.is_file and entry.path.startswith("home/"))
        size = TreeSize(files=homes, bytes=size.bytes, allocated_bytes=size.allocated_bytes, entries=size.entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = tree_document(disk_image or source, exclude=exclude, churn=churn, size=size, disk_users=users)
    path.write_text("# A user's folder as the workload (written by 'workbench compare --tree').\n"
                    + yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return path
