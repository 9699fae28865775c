"""rsnapshot's configuration as the engine writes it, its snapshot folders' names, and the checksum
listing kept beside each snapshot (``sha256sum`` format, so ``sha256sum -c`` checks it too). Pure.

rsnapshot has no machine-readable output: what it keeps is plain folders (``hourly.0`` is the
newest), so this is the engine's one small parser module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...errors import UsageError

#: The levels the engine rotates, lowest (the one that syncs) first, and how many of each are kept.
#: Enough that no point a scenario makes is dropped: the workbench's own backup forgets none
#: within a cell either, so point counts and footprints compare.
RETAIN: tuple[tuple[str, int], ...] = (("hourly", 24), ("daily", 31))
#: Inside each snapshot, the folders protected lie under this folder (``hourly.0/data/home/...``).
DATA = "data"
_SNAPSHOT = re.compile(r"^([a-z]+)\.(\d+)$")


def config(*, target: Path, source: Path, folders: Sequence[str], lockfile: Path,
           tools: Mapping[str, str], retain: Sequence[tuple[str, int]] = RETAIN) -> str:
    """The configuration file's text (rsnapshot wants tabs between fields and absolute paths).

    ``link_dest``: rsync hard-links unchanged files to the snapshot before (``--link-dest``);
    ``-aHAXS``: hard links, ACLs, extended attributes and holes are kept, as the judge expects.
    """
    lines = [("config_version", "1.2"), ("snapshot_root", f"{target}/"), ("no_create_root", "0"),
             ("cmd_cp", tools["cp"]), ("cmd_rm", tools["rm"]), ("cmd_rsync", tools["rsync"]),
             *(("retain", f"{level}\t{count}") for level, count in retain),
             ("verbose", "2"), ("loglevel", "3"), ("lockfile", str(lockfile)), ("link_dest", "1"),
             ("sync_first", "0"), ("rsync_short_args", "-aHAXS"),
             ("rsync_long_args", "--delete --numeric-ids --delete-excluded"),
             *(("backup", f"{source}/{folder.strip('/')}/\t{DATA}/{folder.strip('/')}/") for folder in folders)]
    for key, value in lines:
        if "\n" in value:
            raise UsageError(f"rsnapshot's {key} cannot hold a line break: {value!r}; rename the folder")
    return "".join(f"{key}\t{value}\n" for key, value in lines)


@dataclass(frozen=True, order=True)
class SnapshotName:
    """``hourly.3``: its level's rank (lowest first), then its index (0 the newest)."""

    rank: int
    index: int
    level: str

    @property
    def name(self) -> str:
        return f"{self.level}.{self.index}"


def snapshot_names(names: Iterable[str], retain: Sequence[tuple[str, int]] = RETAIN) -> list[SnapshotName]:
    """The snapshot folders among ``names``, newest first (hourly.0 ... hourly.23, daily.0 ...)."""
    ranks = {level: rank for rank, (level, _count) in enumerate(retain)}
    found = []
    for name in names:
        match = _SNAPSHOT.match(name)
        if match is not None and match.group(1) in ranks:
            found.append(SnapshotName(ranks[match.group(1)], int(match.group(2)), match.group(1)))
    return sorted(found)


def listing_text(hashes: Mapping[str, str]) -> str:
    """A checksum listing: ``<sha256>  <path>`` per file, sorted (the ``sha256sum`` format).

    A path holding a line break or a backslash is written escaped, as ``sha256sum`` does
    (a leading backslash on the line)."""
    lines = []
    for path in sorted(hashes):
        if "\\" in path or "\n" in path:
            lines.append("\\" + hashes[path] + "  " + path.replace("\\", "\\\\").replace("\n", "\\n"))
        else:
            lines.append(hashes[path] + "  " + path)
    return "".join(line + "\n" for line in lines)


def parse_listing(text: str) -> dict[str, str]:
    """A checksum listing back into {path: sha256}."""
    found = {}
    for line in text.splitlines():
        if not line:
            continue
        escaped = line.startswith("\\")
        digest, _, path = line.removeprefix("\\").partition("  ")
        if escaped:
            path = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), path)
        found[path] = digest
    return found


def listing_name(time_ns: int) -> str:
    """The checksum listing of the snapshot made at ``time_ns`` (a snapshot folder's mtime, which the
    engine sets to the point's simulated time and rsnapshot's rotations keep)."""
    return f"{time_ns}.sha256"
