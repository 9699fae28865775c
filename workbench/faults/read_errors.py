"""Bad sectors that fail to read (EIO), the way a dying disk's do.

Unlike :mod:`workbench.faults.sectors` (random bytes), no byte of the image
changes: the chosen sectors go into the image's bad-sector list
(``pc.img.badsectors.json``, :mod:`workbench.disk.sector_list`), and whoever
opens the disk afterwards serves it through the sector server
(:func:`workbench.disk.served.opened`), so every read that touches them fails
with EIO, through the loop device, the mount and any engine above.

Sectors go bad in runs of ``RUN_SECTORS`` (4 KiB, aligned to 4 KiB), one
physical sector of a 512e drive, so a page-sized read either touches a run or
does not. Where the runs land, deterministic for the seed:
- ``files``: inside the data of that many files under ``folders`` (a run wholly
  inside the file's data): reading the file fails;
- ``directories``: on the first block of entries of that many folders below
  ``folders``: listing the folder fails, so nothing below it can be reached by name;
- ``inodes``: on the inode-table slot of that many files under ``folders``:
  opening or stat'ing them (and every other inode in the same 4 KiB) fails.

A run that would touch reserved inodes (root directory, journal, resize
inode, lost+found) or other filesystem metadata (bitmaps, group descriptors)
is not chosen: the filesystem still mounts, and what is lost are files and
folders, which the record names. The record says, for each run, what it holds
(file data, directory entries, inodes), and lists in ``files`` every file a
user can no longer read (for a folder, everything below it).
"""

from __future__ import annotations

import os
import random
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..disk import ext4_places, sector_list
from ..disk.mounting import mounted
from ..disk.sector_list import SECTOR_BYTES, BadSectors, SectorRange
from ..disk.table import Partition, read_table
from ..errors import UsageError
from . import raw
from .locate import Extent, file_extents
from .records import ByteRange, FaultRecord, rng, timestamp

RUN_SECTORS = 8
RUN_BYTES = RUN_SECTORS * SECTOR_BYTES
MECHANISM = "read-errors"


@dataclass
class Survey:
    """What the mounted filesystem says: every path's inode, which are folders, and file data extents."""

    inodes: dict[str, int] = field(default_factory=dict)  # relative path -> inode number ("" is the root)
    folders: set[str] = field(default_factory=set)
    extents: dict[str, list[Extent]] = field(default_factory=dict)  # files under the chosen folders
    candidate_folders: list[str] = field(default_factory=list)  # folders strictly below the chosen folders

    def below(self, folder: str) -> list[str]:
        """Files inside a folder, at any depth."""
        prefix = folder.strip("/") + "/" if folder.strip("/") else ""
        return sorted(p for p in self.inodes if p.startswith(prefix) and p not in self.folders)


@dataclass(frozen=True)
class Run:
    """One bad run: where, what it was aimed at, and what it holds."""

    offset: int  # in the image, a multiple of RUN_BYTES
    aimed_at: str  # "data", "directory" or "inodes"
    target: str
    holds: dict[str, list[str]]  # "file_data" / "directory_entries" / "inodes" -> paths

    def lost_files(self, survey: Survey) -> set[str]:
        lost: set[str] = set()
        for path in [p for paths in self.holds.values() for p in paths]:
            lost |= set(survey.below(path)) if path in survey.folders else {path}
        return lost


# -- pure choices ---------------------------------------------------------------------------------------------


def runs_inside(extents: Sequence[Extent], run_bytes: int = RUN_BYTES) -> list[int]:
    """Offsets of the aligned runs that lie wholly inside one of the extents."""
    offsets = []
    for extent in extents:
        start = -(-extent.image_offset // run_bytes) * run_bytes
        while start + run_bytes <= extent.image_offset + extent.length:
            offsets.append(start)
            start += run_bytes
    return offsets


def run_at(offset: int, run_bytes: int = RUN_BYTES) -> int:
    """The aligned run that holds a byte."""
    return offset // run_bytes * run_bytes


def inodes_in_run(run: int, table: int, inode_size: int, group_first_inode: int, inodes_per_group: int,
                  run_bytes: int = RUN_BYTES) -> range | None:
    """The inode numbers whose slots lie in a run, or None if the run reaches outside the group's inode table.

    ``table`` is the image offset of the group's first slot (that of ``group_first_inode``).
    """
    end_of_table = table + inodes_per_group * inode_size
    if run < table or run + run_bytes > end_of_table:
        return None
    first = (run - table) // inode_size
    last = -(-(run + run_bytes - table) // inode_size)
    return range(group_first_inode + first, group_first_inode + last)


def choose_data_runs(survey: Survey, count: int, rand: random.Random) -> list[Run]:
    """``count`` files with a whole run inside their data (sorted candidates, seeded draw), one run each."""
    candidates = [(path, runs) for path, extents in sorted(survey.extents.items()) if (runs := runs_inside(extents))]
    if len(candidates) < count:
        raise UsageError(f"only {len(candidates)} files hold {RUN_BYTES} bytes of data in one piece; "
                         f"ask for fewer bad files (not {count})")
    chosen = rand.sample(candidates, count)
    return [Run(rand.choice(runs), "data", path, {"file_data": [path]}) for path, runs in sorted(chosen)]


def holds_of(owners: dict[int, int | str | None], names: dict[int, str],
             folders: set[str]) -> dict[str, list[str]] | None:
    """What a run's blocks hold, by path; None if any block is filesystem metadata or a reserved inode's."""
    holds: dict[str, list[str]] = {"file_data": [], "directory_entries": []}
    for owner in owners.values():
        if owner is None:
            continue  # a free block
        if owner == "metadata" or owner not in names:
            return None  # bitmaps, descriptors, journal, root folder, lost+found: the disk must still mount
        path = names[owner]
        holds["directory_entries" if path in folders else "file_data"].append(path)
    return {key: sorted(set(paths)) for key, paths in holds.items() if paths}


# -- the fault ------------------------------------------------------------------------------------------------


def inject_read_errors(image: Path, *, seed: int = 0, files: int = 2, directories: int = 1, inodes: int = 1,
                       folders: Sequence[str] = ("home",), role: str = "root",
                       at: datetime | None = None) -> FaultRecord:
    """Make runs of sectors unreadable (see the module text); add them to the image's bad-sector list."""
    if min(files, directories, inodes) < 0 or files + directories + inodes == 0:
        raise UsageError("ask for at least one bad file, folder or inode block (and no negative counts)")
    real = raw.require_detached(image)
    partition = read_table(real).by_role(role)
    rand = rng("bad-sectors:" + MECHANISM, seed)
    survey = _survey(real, role, partition.start_bytes, folders)
    # Paths a run may hold: not the root folder and not lost+found (whose inodes are reserved or first).
    names = {ino: path for path, ino in survey.inodes.items() if path and path != "lost+found"}
    geometry = ext4_places.geometry(real, partition)
    runs = choose_data_runs(survey, files, rand)
    runs += _folder_runs(real, partition, survey, names, directories, rand, geometry.block_size)
    runs += _inode_runs(real, partition, survey, names, inodes, rand, geometry, {r.target for r in runs})
    new = [SectorRange(run.offset // SECTOR_BYTES, RUN_SECTORS) for run in runs]
    list_file = sector_list.list_path(real)
    sector_list.save(list_file, BadSectors.of([*sector_list.load(list_file).ranges, *new]))
    lost = set().union(*(run.lost_files(survey) for run in runs))
    return FaultRecord(
        kind="bad-sectors", seed=seed, time=timestamp(at), target=str(real), files=sorted(lost),
        ranges=[ByteRange(run.offset, RUN_BYTES, str(real), 0) for run in sorted(runs, key=lambda r: r.offset)],
        blocks=sorted({(run.offset - partition.start_bytes + k) // geometry.block_size
                       for run in runs for k in range(0, RUN_BYTES, min(RUN_BYTES, geometry.block_size))}),
        details={
            "mechanism": MECHANISM, "sector_bytes": SECTOR_BYTES, "bad_sector_list": list_file.name,
            "runs": [{"first_sector": run.offset // SECTOR_BYTES, "sectors": RUN_SECTORS, "aimed_at": run.aimed_at,
                      "target": run.target, "holds": run.holds} for run in sorted(runs, key=lambda r: r.offset)],
        },
    )


def _survey(image: Path, role: str, partition_offset: int, folders: Sequence[str]) -> Survey:
    survey = Survey()
    with mounted(image, role, readonly=True) as point:
        for dirpath, _dirnames, filenames in os.walk(point):
            relative = os.path.relpath(dirpath, point)
            relative = "" if relative == "." else relative
            survey.inodes[relative] = os.lstat(dirpath).st_ino
            survey.folders.add(relative)
            for name in filenames:
                path = os.path.join(relative, name)
                st = os.lstat(point / path)
                if stat.S_ISREG(st.st_mode):
                    survey.inodes[path] = st.st_ino
        for folder in folders:
            top = folder.strip("/")
            if top not in survey.folders:
                raise UsageError(f"there is no folder '{folder}' on the disk: name one that exists, e.g. 'home'")
            for path in survey.below(top):
                survey.extents[path] = file_extents(point / path, partition_offset)
            survey.candidate_folders += [f for f in survey.folders if f and f.startswith(top + "/" if top else "")]
    survey.candidate_folders = sorted(set(survey.candidate_folders))
    return survey


def _folder_runs(image: Path, partition: Partition, survey: Survey, names: dict[int, str], count: int,
                 rand: random.Random, block_size: int) -> list[Run]:
    if not count:
        return []
    order = [p for p in rand.sample(survey.candidate_folders, len(survey.candidate_folders)) if _debugfs_can_name(p)]
    blocks_of = ext4_places.blocks_of(image, partition, order)
    first_blocks = {path: blocks[0] for path, blocks in blocks_of.items() if blocks}
    runs = {path: run_at(partition.start_bytes + block * block_size) for path, block in first_blocks.items()}
    blocks_per_run = max(RUN_BYTES // block_size, 1)
    run_blocks = {path: [(run - partition.start_bytes) // block_size + k for k in range(blocks_per_run)]
                  for path, run in runs.items()}
    owners = ext4_places.block_owners(image, partition, [b for blocks in run_blocks.values() for b in blocks])
    chosen: list[Run] = []
    for path in [p for p in order if p in runs]:
        holds = holds_of({b: owners[b] for b in run_blocks[path]}, names, survey.folders)
        if holds is not None and runs[path] not in {run.offset for run in chosen}:
            chosen.append(Run(runs[path], "directory", path, holds))
        if len(chosen) == count:
            return chosen
    raise UsageError(f"only {len(chosen)} folders below the chosen ones can lose their entries without "
                     f"the filesystem's own metadata: ask for fewer bad folders (not {count})")


def _inode_runs(image: Path, partition: Partition, survey: Survey, names: dict[int, str], count: int,
                rand: random.Random, geometry: ext4_places.Geometry, taken: set[str]) -> list[Run]:
    if not count:
        return []
    candidates = sorted(p for p in survey.extents if p not in taken)
    order = rand.sample(candidates, len(candidates))
    group_first = {ino: (ino - 1) // geometry.inodes_per_group * geometry.inodes_per_group + 1
                   for ino in (survey.inodes[p] for p in order)}
    places = ext4_places.inode_offsets(image, partition, [*group_first, *group_first.values()])
    chosen: list[Run] = []
    for path in order:
        ino = survey.inodes[path]
        run = run_at(places[ino])
        inside = inodes_in_run(run, places[group_first[ino]], geometry.inode_size, group_first[ino],
                               geometry.inodes_per_group)
        if inside is None or inside.start <= geometry.first_inode or any(o.offset == run for o in chosen):
            continue  # outside the table, or holding reserved inodes (root folder, journal) or lost+found's
        held = [names[i] for i in inside if i in names]
        chosen.append(Run(run, "inodes", path, {"inodes": sorted(held)}))
        if len(chosen) == count:
            return chosen
    raise UsageError(f"only {len(chosen)} files have inodes away from the reserved ones: "
                     f"ask for fewer bad inode blocks (not {count})")


def _debugfs_can_name(path: str) -> bool:
    try:
        ext4_places.quote(path)
    except UsageError:
        return False
    return True
