"""``ImageStrategy``: whole-disk images, full and incremental, in a target directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from ... import __version__, durable, guard, workspace
from ...disk import locks
from ...disk.table import PartitionTable, move_backup_gpt, read_table
from ...errors import RestoreIncomplete, UsageError
from ..base import ProgressCallback, RestorePoint, RestoreReport, Scope, SourceKind, VerifyReport
from ..mirror.listing import MountedLister
from ..quiesce import held_still
from ..target_full import reports_full_target
from . import format as fmt
from . import store
from .browse import mounted_point
from .destination import prepare
from .extract import extract
from .plan import Region, describe_span
from .protect import survey, write_point
from .restore import write_chain
from .verify import verify_target

DEFAULT_CHUNK = 1 << 20


class ImageStrategy(MountedLister):
    """Block-level images of a whole disk (GPT, boot area, ESP raw, ext4 by its bitmaps)."""

    name = "image"
    scope: Scope = "whole-disk"
    source_kind: SourceKind = "disk"

    def __init__(self, *, level: int = 3, chunk_size: int = DEFAULT_CHUNK, workers: int | None = None,
                 incremental: bool = True, freeze: bool = False, sync: bool = False) -> None:
        if chunk_size % 4096 or chunk_size <= 0:
            raise UsageError(f"the chunk size must be a positive multiple of 4 KiB, not {chunk_size}")
        self.level = level
        self.chunk_size = chunk_size
        self.workers = workers or os.cpu_count() or 2
        self.incremental = incremental
        self.freeze = freeze
        self.sync = sync  # fsync each point before it is renamed into place

    # -- protect ---------------------------------------------------------
    @locks.writing("image target")
    @reports_full_target("writing an image point", advice="the earlier points are intact: free space or forget one",
                         unit_bytes=lambda engine: engine.chunk_size)
    def protect(self, source: Path, target: Path, *, now: datetime, progress: ProgressCallback | None = None,
                full: bool = False) -> RestorePoint:
        source = guard.check_image(source)
        if target.exists() and not target.is_dir():
            raise UsageError(f"'{workspace.display(target)}' is a file: an image target is a directory")
        target.mkdir(parents=True, exist_ok=True)
        removed = store.remove_partials(target)
        points, _ = store.load_all(target)
        disk_size = source.stat().st_size
        parent = None
        if self.incremental and not full and points:
            last = points[-1]
            if last.header["disk_size"] == disk_size and last.header["chunk_size"] == self.chunk_size:
                parent = last
        point_id = store.new_id(target, now)
        partial = store.partial_path_of(target, point_id)
        table = read_table(source)
        with held_still(source, freeze=self.freeze):
            fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
            try:
                regions, wanted = survey(fd, disk_size, table)
                header = self._header(point_id, now, parent, disk_size, table, regions)
                digests = [e.digest for e in parent.entries] if parent else None
                with durable.replacing(store.path_of(target, point_id), aside=partial, sync=self.sync):
                    _, stats = write_point(fd, partial, header, wanted, parent_digests=digests,
                                           level=self.level, workers=self.workers, progress=progress)
            finally:
                os.close(fd)
        extra: dict[str, Any] = {**stats.to_json(), "disk_size": disk_size, "level": self.level}
        if stats.unreadable:  # copied around, as ddrescue does: the point holds zeros there
            extra["unreadable"] = [f"disk bytes {offset}-{offset + length}" for offset, length in stats.unreadable]
        if removed:
            extra["removed_partial_points"] = [p.name for p in removed]
        return RestorePoint(point_id, now, header["kind"], header["parent"], stats.bytes_written, extra)

    def _header(self, point_id: str, now: datetime, parent: store.PointFile | None, disk_size: int,
                table: PartitionTable, regions: list[Region]) -> dict[str, Any]:
        by_number = {p.number: p for p in table.partitions}
        region_json = []
        for region in regions:
            item = region.to_json()
            part = by_number.get(region.partition) if region.partition else None
            item["label"] = f"partition {part.number} {part.name or part.role}" if part else (
                "GPT and boot area" if region.start == 0 else "outside partitions")
            region_json.append(item)
        return {
            "format": fmt.FORMAT, "version": fmt.VERSION, "tool": f"workbench {__version__}", "id": point_id,
            "time": now.isoformat(), "kind": "incremental" if parent else "full",
            "parent": parent.id if parent else None, "disk_size": disk_size, "chunk_size": self.chunk_size,
            "compression": {"algorithm": "zstd", "level": self.level}, "hash": "blake3",
            "table": {"label": table.label, "disk_guid": table.disk_guid,
                      "partitions": [{**p.entry(), "role": p.role} for p in table.partitions]},
            "regions": region_json,
        }

    # -- listing -----------------------------------------------------------
    def points(self, target: Path) -> list[RestorePoint]:
        points, _ = store.load_all(target)
        return [_to_restore_point(p) for p in points]

    def footprint(self, target: Path) -> int:
        if not target.exists():
            return 0
        return sum(p.lstat().st_blocks * 512 for p in target.rglob("*") if p.is_file())

    # -- restore -----------------------------------------------------------
    def restore(self, target: Path, point_id: str, destination: Path, *, force: bool = False,
                rescue: bool = False, size: int | None = None,
                progress: ProgressCallback | None = None) -> RestoreReport:
        points, _ = store.load_all(target)
        point = store.resolve_id(points, point_id)
        point_chain = store.chain(points, point)
        disk_size = point.header["disk_size"]
        path, final_size = prepare(destination, disk_size, force=force, size=size, name=f"{point.id}.img")
        fd = guard.open_for_write(path)
        try:
            result = write_chain(point_chain, fd, workers=self.workers, progress=progress)
        finally:
            os.close(fd)
            for p in point_chain:
                p.close()
        holes = [f"chunk {d.index}: {describe_span(d.start, d.length, point.header['regions'])}: {d.reason}"
                 for d in result.damage]
        if holes and not rescue:
            raise RestoreIncomplete(
                f"point {point.id} cannot be restored exactly: {len(holes)} damaged chunk(s): "
                f"{'; '.join(holes[:3])}. {workspace.display(path)} is incomplete; "
                "pass --rescue to restore everything else and leave holes")
        if final_size > disk_size:
            move_backup_gpt(path)
        return RestoreReport(point.id, result.bytes_written, 0, holes)

    def extract(self, target: Path, point_id: str | None, path_in_fs: str, dest_dir: Path,
                *, role: str = "root") -> Path:
        """Single-file restore: copy a file or folder out of a point without restoring the disk."""
        points, _ = store.load_all(target)
        point = store.resolve_id(points, point_id)
        point_chain = store.chain(points, point)
        try:
            return extract(point_chain, path_in_fs, dest_dir, role=role, workers=self.workers)
        finally:
            for p in point_chain:
                p.close()

    @contextmanager
    def _mounted(self, target: Path, point_id: str) -> Iterator[tuple[str, Path]]:
        """(the point's full id, its root filesystem mounted read-only)."""
        points, _ = store.load_all(target)
        point = store.resolve_id(points, point_id)
        point_chain = store.chain(points, point)
        try:
            with mounted_point(point_chain, workers=self.workers) as root:
                yield point.id, root
        finally:
            for p in point_chain:
                p.close()

    # -- verify and retention ----------------------------------------------
    def verify(self, target: Path) -> VerifyReport:
        return verify_target(target, workers=self.workers)

    @locks.writing("image target")
    def forget(self, target: Path, point_id: str) -> None:
        """Delete one point; refused while later points depend on it."""
        points, _ = store.load_all(target)
        point = store.resolve_id(points, point_id)
        children = store.dependants(points, point.id)
        if children:
            raise UsageError(f"point {point.id} is the parent of {', '.join(children)}: "
                             "forget those first (an incremental needs its whole chain)")
        point.path.unlink()

    @locks.writing("image target")
    def keep_last(self, target: Path, count: int,
                  progress: ProgressCallback | None = None) -> tuple[list[str], list[str]]:
        """Keep the newest ``count`` points (and the ancestors they need); return (deleted, kept as parents).

        ``progress(deleted, to delete)`` follows each point's unlink, the one step that forgets it.
        """
        if count < 1:
            raise UsageError("--keep-last must be at least 1")
        points, _ = store.load_all(target)
        kept = points[-count:]
        needed = {p.id for k in kept for p in store.chain(points, k)}
        held = [point.id for point in points[:-count] if point.id in needed]
        doomed = [point for point in points[:-count] if point.id not in needed]
        deleted = []
        for point in doomed:
            point.path.unlink()
            deleted.append(point.id)
            if progress is not None:
                progress(len(deleted), len(doomed))
        return deleted, held


def _to_restore_point(point: store.PointFile) -> RestorePoint:
    size = point.path.stat().st_size
    return RestorePoint(point.id, point.time, point.header["kind"], point.parent, size,
                        {**point.stats, "bytes_written": size})
