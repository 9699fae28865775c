"""``image/partclone``: every point a set of partclone images, one per partition, plus the disk's GPT and boot area.

protect: ``partclone.ext4 -c`` (``partclone.fat`` for the ESP) of each partition
of the unmounted disk, each through ``zstd -T0``; the bytes before the first
partition (protective MBR with the boot code, primary GPT) and after the last
(backup GPT) are kept raw. partclone has no incrementals: every point is full,
whatever the schedule calls it, so its points cost a whole used disk each.

restore: a new disk file, the GPT and boot area written back first (the backup
GPT moved to the end of a larger disk), then ``partclone.<fs> -r`` into each
partition. verify: ``partclone.chkimg`` of every image (its per-block CRC32s),
behind ``zstd -dc`` (which checks the frames' own checksums first), and the raw
areas against the sha256 recorded with them.

A target holds::

    points/<id>/point.json, head.bin, tail.bin   the record and the raw areas (a point exists once
                                                  its folder is renamed into place)
    images/<id>/<n>-<role>.<fs>.pcl.zst          the partition images: the stored data (``data_paths``)

The listing of a point (``Lister``) is its root filesystem's, read by restoring
the point onto a scratch disk and mounting it read-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ... import guard, workspace
from ...disk import locks
from ...disk import partclone as tool
from ...disk.mounting import mounted
from ...disk.table import Partition, PartitionTable, move_backup_gpt, read_table
from ...errors import DamageFound, UsageError
from ..base import Damage, Listed, ProgressCallback, RestorePoint, RestoreReport, Scope, SourceKind, VerifyReport
from ..image.destination import prepare
from ..quiesce import held_still
from . import folder
from .partclone_output import first_problem, has_bad_sectors, lost_ranges, parse

FORMAT = 1
POINTS, IMAGES = "points", "images"
RECORD, HEAD, TAIL = "point.json", "head.bin", "tail.bin"
PARTIAL = ".partial-"
_ZERO_BLOCK = bytes(4096)


@dataclass(frozen=True)
class StoredPoint:
    """A point as its record describes it."""

    id: str
    record: dict[str, Any]
    folder: Path  # points/<id>
    images: Path  # images/<id>

    @property
    def time(self) -> datetime:
        return datetime.fromisoformat(self.record["time"])


#: The tools this engine runs, whose versions the run record keeps.
TOOLS = ("partclone.ext4", "partclone.fat", "zstd")

class PartcloneImage:
    """partclone images of every partition of a whole disk, one full set per point."""

    name = "image"
    scope: Scope = "whole-disk"
    source_kind: SourceKind = "disk"
    variant = ""

    def __init__(self, scratch: Path | None = None) -> None:
        self.scratch = scratch  # where a point is restored to be listed (default: a temporary folder in the workspace)

    # -- protect -----------------------------------------------------------------------------------
    @locks.writing("partclone image folder")
    def protect(self, source: Path, target: Path, *, now: datetime, progress: ProgressCallback | None = None,
                full: bool = False) -> RestorePoint:
        """One full point (``full`` changes nothing: partclone has no incrementals)."""
        source = guard.check_image(source)
        if target.exists() and not target.is_dir():
            raise UsageError(f"'{workspace.display(target)}' is a file: a partclone target is a directory")
        removed = _remove_partials(target)
        table = read_table(source)
        if table.label != "gpt" or not table.partitions:
            raise UsageError(f"'{source.name}' has no GPT with partitions: partclone images partitions")
        point_id = _new_id(target, now)
        staged_record = target / POINTS / f"{PARTIAL}{point_id}"
        staged_images = target / IMAGES / f"{PARTIAL}{point_id}"
        staged_record.mkdir(parents=True)
        staged_images.mkdir(parents=True)
        disk_size = source.stat().st_size
        started = time.perf_counter()
        with held_still(source):
            areas = _save_areas(source, table, disk_size, staged_record)
            images = []
            for index, part in enumerate(table.partitions):
                images.append(_clone(source, part, staged_images))
                if progress is not None:
                    progress(index + 1, len(table.partitions))
        record = {"format": FORMAT, "tool": "partclone", "id": point_id, "time": now.isoformat(),
                  "kind": "full", "disk_size": disk_size,
                  "table": {"label": table.label, "disk_guid": table.disk_guid,
                            "partitions": [{**p.entry(), "role": p.role} for p in table.partitions]},
                  "areas": areas, "images": images, "seconds": round(time.perf_counter() - started, 4)}
        (staged_record / RECORD).write_text(json.dumps(record, indent=1))
        os.rename(staged_images, target / IMAGES / point_id)
        os.rename(staged_record, target / POINTS / point_id)  # the point exists from here on
        stored = sum(image["stored_bytes"] for image in images) + sum(a["stored_bytes"] for a in areas.values())
        unreadable = [(offset, length) for image in images for offset, length in image.get("unreadable", [])]
        extra: dict[str, Any] = {"images": images, "disk_size": disk_size, "read_errors": len(unreadable),
                                 "unreadable": [f"disk bytes {a}-{a + n}" for a, n in unreadable]}
        if removed:
            extra["removed_partial_points"] = removed
        return RestorePoint(point_id, now, "full", None, stored, extra)

    # -- listing -----------------------------------------------------------------------------------
    def points(self, target: Path) -> list[RestorePoint]:
        return [RestorePoint(p.id, p.time, "full", None, _stored_bytes(p), {"images": p.record["images"]})
                for p in _load_all(target)]

    def footprint(self, target: Path) -> int:
        if not target.exists():
            return 0
        return sum(p.lstat().st_blocks * 512 for p in target.rglob("*") if p.is_file())

    def data_paths(self, target: Path) -> list[Path]:
        """What holds the stored data, for target corruption: the image bodies, not the records or raw areas."""
        return [target / IMAGES]

    # -- restore -----------------------------------------------------------------------------------
    def restore(self, target: Path, point_id: str, destination: Path, *, force: bool = False,
                rescue: bool = False, size: int | None = None) -> RestoreReport:
        """GPT and boot area first, then ``partclone -r`` of each partition. ``rescue``: carry on past a
        damaged image (partclone's ``-i`` writes blocks whose CRC does not match) and list it in the holes."""
        point = _resolve(target, point_id)
        disk_size = point.record["disk_size"]
        path, final_size = prepare(destination, disk_size, force=force, size=size, name=f"{point.id}.img")
        holes = _write_areas(point, path, rescue=rescue)
        if final_size > disk_size:
            move_backup_gpt(path)
        table = read_table(path)
        written = 0
        for image in point.record["images"]:
            part = _partition(table, image["number"])
            run = tool.restore(point.images / image["file"], path, part, image["filesystem"], ignore_crc=rescue)
            if not run.ok:
                problem = first_problem(run.zstd_messages, run.messages, run.log) or "partclone failed"
                holes.append(f"{image['file']}: {problem}")
                continue
            written += image["used_bytes"]
        if holes and not rescue:
            raise DamageFound(f"point {point.id} cannot be restored exactly: {'; '.join(holes[:3])}. "
                              f"{workspace.display(path)} is incomplete")
        return RestoreReport(point.id, bytes_written=written, files=0, holes=holes)

    # -- Lister: a point's root filesystem ---------------------------------------------------------
    def listing(self, target: Path, point_id: str) -> list[Listed]:
        with self._restored_root(target, point_id) as root:
            return folder.listing(root, left_out=folder.FILESYSTEM_NAMES)

    def restore_paths(self, target: Path, point_id: str, paths: Sequence[str], destination: Path, *,
                      force: bool = False) -> RestoreReport:
        from ...disk.targets import check_destination

        check_destination(destination, force=force)
        with self._restored_root(target, point_id) as root:
            return folder.copy_out(root, paths, destination, _resolve(target, point_id).id)

    @contextmanager
    def _restored_root(self, target: Path, point_id: str) -> Iterator[Path]:
        base = self.scratch or workspace.home()
        base.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="partclone-point-", dir=base))
        try:
            disk = scratch / "disk.img"
            self.restore(target, point_id, disk)
            with mounted(disk, readonly=True) as root:
                yield root
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    # -- verify ------------------------------------------------------------------------------------
    def verify(self, target: Path) -> VerifyReport:
        """``partclone.chkimg`` of every image, and the raw areas against their recorded sha256."""
        report = VerifyReport()
        for point in _load_all(target):
            for name, area in point.record["areas"].items():
                report.checked += 1
                problem = _area_problem(point.folder / area["file"], area)
                if problem:
                    report.damage.append(Damage("area", f"{point.id}/{area['file']}", f"the {name}: {problem}",
                                                (point.id,)))
            for image in point.record["images"]:
                report.checked += 1
                where = f"{point.id}/{image['file']}"
                path = point.images / image["file"]
                if not path.is_file():
                    report.damage.append(Damage("image", where, "missing", (point.id,)))
                    continue
                run = tool.check(path)
                if not run.ok or parse(run.messages).succeeded != "checked":
                    detail = first_problem(run.zstd_messages, run.messages, run.log) or "partclone.chkimg failed"
                    report.damage.append(Damage("image", where, detail, (point.id,)))
        return report


# -- the target's layout ---------------------------------------------------------------------------

def _load_all(target: Path) -> list[StoredPoint]:
    """The complete points, oldest first (a half-written one has no folder under ``points/`` yet)."""
    base = target / POINTS
    if not base.is_dir():
        return []
    found = []
    for entry in sorted(base.iterdir()):
        if entry.name.startswith(PARTIAL) or not (entry / RECORD).is_file():
            continue
        try:
            record = json.loads((entry / RECORD).read_text())
        except (OSError, ValueError) as exc:
            raise DamageFound(f"point {entry.name}: its record is unreadable ({exc})") from exc
        found.append(StoredPoint(entry.name, record, entry, target / IMAGES / entry.name))
    return sorted(found, key=lambda p: (p.record["time"], p.id))


def _resolve(target: Path, point_id: str) -> StoredPoint:
    points = _load_all(target)
    if not points:
        raise UsageError(f"'{workspace.display(target)}' holds no partclone point: run protect first")
    if point_id == "latest":
        return points[-1]
    for point in points:
        if point.id == point_id:
            return point
    raise UsageError(f"no point '{point_id}' in '{workspace.display(target)}': points are "
                     f"{', '.join(p.id for p in points)}")


def _new_id(target: Path, now: datetime) -> str:
    stem = now.strftime("%Y%m%dT%H%M%S")
    taken = {p.id for p in _load_all(target)}
    candidate, n = stem, 2
    while candidate in taken:
        candidate, n = f"{stem}-{n}", n + 1
    return candidate


def _remove_partials(target: Path) -> list[str]:
    """What a killed protect left: staged folders, and images of a point whose record never landed."""
    removed = []
    complete = {p.id for p in _load_all(target)}
    for kind in (POINTS, IMAGES):
        base = target / kind
        if not base.is_dir():
            continue
        for entry in sorted(base.iterdir()):
            if entry.name.startswith(PARTIAL) or (kind == IMAGES and entry.name not in complete):
                shutil.rmtree(entry)
                removed.append(f"{kind}/{entry.name}")
    return removed


def _stored_bytes(point: StoredPoint) -> int:
    return (sum(image["stored_bytes"] for image in point.record["images"])
            + sum(area["stored_bytes"] for area in point.record["areas"].values()))


def _partition(table: PartitionTable, number: int) -> Partition:
    for part in table.partitions:
        if part.number == number:
            return part
    raise DamageFound(f"the restored GPT has no partition {number}: the saved GPT is damaged")


# -- one partition ---------------------------------------------------------------------------------

def _clone(source: Path, part: Partition, images: Path) -> dict[str, Any]:
    filesystem = tool.filesystem_of(part)
    file = f"{part.number}-{part.role}.{filesystem}.pcl.zst"
    started = time.perf_counter()
    run = tool.clone(source, part, filesystem, images / file)
    rescued = not run.ok and has_bad_sectors(run.messages, run.log)
    if rescued:  # as partclone advises, and its user would: again with --rescue, the bad blocks as zeros
        run = tool.clone(source, part, filesystem, images / file, rescue=True)
    if not run.ok:
        problem = first_problem(run.messages, run.zstd_messages, run.log) or f"exit code {run.partclone_code}"
        raise DamageFound(f"partclone could not image partition {part.number} ({part.role}): {problem}")
    figures = parse(run.messages)
    return {"number": part.number, "role": part.role, "filesystem": filesystem, "file": file,
            "partclone_filesystem": figures.filesystem, "block_size": figures.block_size,
            "device_bytes": figures.device_bytes, "used_bytes": figures.used_bytes,
            "stored_bytes": (images / file).stat().st_size, "seconds": round(time.perf_counter() - started, 4),
            **({"rescued": True, "unreadable": [(part.start_bytes + offset, length)
                                                for offset, length in lost_ranges(run.log)]} if rescued else {})}


# -- the raw areas: GPT and boot area --------------------------------------------------------------

def _save_areas(source: Path, table: PartitionTable, disk_size: int, folder_: Path) -> dict[str, dict[str, Any]]:
    """The bytes before the first partition and after the last, as ``dd`` would keep them (holes for zeros)."""
    first = min(p.start_bytes for p in table.partitions)
    last = max(p.end_bytes for p in table.partitions)
    areas = {}
    fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    try:
        for name, file, start, end in (("GPT and boot area", HEAD, 0, first),
                                       ("backup GPT", TAIL, last, disk_size)):
            data = os.pread(fd, end - start, start)
            _write_sparse(folder_ / file, data)
            areas[name] = {"file": file, "offset": start, "length": len(data),
                           "sha256": hashlib.sha256(data).hexdigest(),
                           "stored_bytes": (folder_ / file).stat().st_blocks * 512}
    finally:
        os.close(fd)
    return areas


def _write_sparse(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        for offset in range(0, len(data), len(_ZERO_BLOCK)):
            block = data[offset:offset + len(_ZERO_BLOCK)]
            if block.count(0) != len(block):
                handle.seek(offset)
                handle.write(block)
        handle.truncate(len(data))


def _area_problem(path: Path, area: dict[str, Any]) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if len(data) != area["length"] or hashlib.sha256(data).hexdigest() != area["sha256"]:
        return "its bytes differ from the sha256 recorded at protect time"
    return ""


def _write_areas(point: StoredPoint, disk: Path, *, rescue: bool) -> list[str]:
    """Write the raw areas back where they were; a damaged one stops the restore unless ``rescue``."""
    holes = []
    fd = guard.open_for_write(disk)
    try:
        for name, area in point.record["areas"].items():
            path = point.folder / area["file"]
            problem = _area_problem(path, area)
            if problem:
                holes.append(f"{area['file']} ({name}): {problem}")
                if not rescue:
                    raise DamageFound(f"point {point.id} cannot be restored: the {name} it kept is damaged: {problem}")
                if not path.is_file():
                    continue
            os.pwrite(fd, path.read_bytes(), area["offset"])
    finally:
        os.close(fd)
    return holes


def make(variant: str = "", *, folders: tuple[str, ...] = (), state: Path) -> PartcloneImage:
    """The engine the catalog's ``image/partclone`` row names; ``state`` holds its scratch restores."""
    return PartcloneImage(scratch=state)
