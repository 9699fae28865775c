"""``CloneStrategy``: an exact, sparse replica disk file, refreshed in place.

Beside the clone ``CLONE.img`` lies ``CLONE.img.hashes``: an XXH3-128 per 64 KiB
block of what was written, recorded at clone time. XXH3 rather than BLAKE3: the
list guards against corruption, not forgery, and on 64 KiB blocks XXH3 costs a small
part of what BLAKE3 does, whose Python binding keeps the GIL for such blocks; with
BLAKE3, hashing was most of a clone pass (docs/benchmarks.md). That list is the reference
for ``verify`` (the source has moved on since) and for ``refresh``: the source
is read (unavoidable) and hashed, and only blocks whose hash differs are
written; blocks that became zero are punched out, so the clone stays as
sparse as its source. Holes of the source (SEEK_DATA/SEEK_HOLE) are never
read. The bytes are hashed in userspace anyway, so each block is written from
that same buffer, one copy less than ``copy_file_range`` plus a hashing read;
copying a clone back onto a disk uses the same checked pass (``blockpass.py``,
which also says where a pass's time goes).

While a refresh runs, ``CLONE.img.refreshing`` exists: a refresh killed
midway leaves it, verify reports it, and the next protect rewrites the clone
in full. The clone needs no restore step: it attaches and mounts as it is
(RTO = attach time); ``restore`` onto another disk is a checked copy.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import durable, guard, workspace
from ..disk import locks
from ..disk.mounting import mounted
from ..disk.table import PartitionTable, move_backup_gpt, read_table
from ..errors import DamageFound, RestoreIncomplete, UsageError
from .base import Damage, ProgressCallback, RestorePoint, RestoreReport, Scope, SourceKind, VerifyReport
from .blockpass import BLOCK, SEGMENT, PassStats, block_pass, discard
from .image.destination import prepare
from .image.plan import describe_span, normalise
from .mirror.listing import MountedLister
from .quiesce import held_still
from .target_full import reports_full_target

_MAGIC = b"WBCLONE1"
HASH_NAME = "xxh3-128"
DIGEST_SIZE = 16


def hashes_path(clone: Path) -> Path:
    return clone.with_name(clone.name + ".hashes")


def marker_path(clone: Path) -> Path:
    return clone.with_name(clone.name + ".refreshing")


def _write_record(clone: Path, meta: dict, hashes: list[bytes], *, sync: bool) -> None:
    body = json.dumps(meta, sort_keys=True).encode()
    durable.write_atomic(hashes_path(clone), _MAGIC + struct.pack("<I", len(body)) + body + b"".join(hashes),
                         aside=clone.with_name(clone.name + ".hashes.tmp"), sync=sync)


def read_record(clone: Path) -> tuple[dict, list[bytes]]:
    """The clone's metadata and block hashes; raises DamageFound if missing or unreadable."""
    try:
        raw = hashes_path(clone).read_bytes()
    except FileNotFoundError as exc:
        raise DamageFound(f"{clone.name} has no hash list ({hashes_path(clone).name}): "
                          "it was not made by 'workbench clone protect', or the list was lost") from exc
    if raw[:8] != _MAGIC:
        raise DamageFound(f"{hashes_path(clone).name} is not a clone hash list")
    try:
        (length,) = struct.unpack_from("<I", raw, 8)
        meta = json.loads(raw[12:12 + length])
    except (struct.error, ValueError) as exc:
        raise DamageFound(f"{hashes_path(clone).name} is damaged ({exc}): make the clone anew with "
                          "'workbench clone protect --full'") from exc
    if not isinstance(meta, dict):
        raise DamageFound(f"{hashes_path(clone).name} is damaged (its header is not a JSON object)")
    if meta.get("hash") != HASH_NAME:
        raise DamageFound(f"{hashes_path(clone).name} holds {meta.get('hash', 'blake3')} hashes of an older workbench: "
                          "make the clone anew with 'workbench clone protect --full'")
    body = raw[12 + length:]
    hashes = [body[i:i + DIGEST_SIZE] for i in range(0, len(body), DIGEST_SIZE)]
    if len(hashes) != -(-meta["disk_size"] // meta["block_size"]):
        raise DamageFound(f"{hashes_path(clone).name} is truncated")
    return meta, hashes


class CloneStrategy(MountedLister):
    """An exact sparse replica of a disk image file, refreshed by changed blocks."""

    name = "clone"
    scope: Scope = "whole-disk"
    source_kind: SourceKind = "disk"

    def __init__(self, *, workers: int | None = None, freeze: bool = False, sync: bool = False) -> None:
        self.workers = workers or os.cpu_count() or 2
        self.freeze = freeze
        self.sync = sync  # fsync the clone and its hash list (durability across a power cut)

    @locks.writing("clone")
    @reports_full_target("writing the clone", advice="the clone is marked interrupted (a clone keeps one point)",
                         unit_bytes=lambda _: SEGMENT)
    def protect(self, source: Path, target: Path, *, now: datetime, progress: ProgressCallback | None = None,
                full: bool = False) -> RestorePoint:
        source = guard.check_image(source)
        if target.resolve() == source:
            raise UsageError("the clone target is the source disk itself: give another path")
        if target.is_dir():
            raise UsageError(f"'{workspace.display(target)}' is a directory: a clone target is an image file path")
        size = source.stat().st_size
        reference = self._refreshable(target, size) if not full else None
        mode = "refresh" if reference is not None else "full"
        with held_still(source, freeze=self.freeze):  # a refusal leaves the clone as it was
            if not target.exists():  # open_for_write does not create
                target.parent.mkdir(parents=True, exist_ok=True)
                target.touch()
            src_fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
            dst_fd = guard.open_for_write(target)
            # The source's table is the clone's once every block is copied: sfdisk reads it meanwhile
            with ThreadPoolExecutor(1, thread_name_prefix="clone-table") as beside:
                source_table = beside.submit(read_table, source)
                try:
                    marker_path(target).touch()  # from here on the clone may be a mix of two states
                    if mode == "full":
                        discard(dst_fd, size)
                    hashes, stats = block_pass(src_fd, size, reference=reference, dst_fd=dst_fd,
                                               write="changed" if reference is not None else "all",
                                               workers=self.workers, progress=progress)
                    if self.sync:
                        os.fsync(dst_fd)
                finally:
                    os.close(dst_fd)
                    os.close(src_fd)
                table = source_table.result()
        if stats.unreadable:  # copied around unreadable sectors, the clone may differ from the source there
            table = read_table(target)
        meta: dict[str, Any] = {"id": f"clone-{now:%Y%m%dT%H%M%S}", "time": now.isoformat(), "kind": "clone",
                "mode": mode, "source": source.name, "disk_size": size, "block_size": BLOCK, "hash": HASH_NAME,
                "regions": _regions(table), "stats": _stats_json(stats)}
        _write_record(target, meta, hashes, sync=self.sync)
        marker_path(target).unlink()
        extra = {**_stats_json(stats), "mode": mode, "disk_size": size}
        if stats.unreadable:
            extra["unreadable"] = [f"disk bytes {offset}-{offset + length}" for offset, length in stats.unreadable]
        return RestorePoint(meta["id"], now, "clone", None, stats.bytes_written, extra)

    def _refreshable(self, target: Path, size: int) -> list[bytes] | None:
        """The recorded hashes if the existing clone can be refreshed in place, else None."""
        if not target.is_file() or marker_path(target).exists() or target.stat().st_size != size:
            return None
        try:
            meta, hashes = read_record(target)
        except DamageFound:
            return None
        return hashes if meta["block_size"] == BLOCK and meta["disk_size"] == size else None

    def points(self, target: Path) -> list[RestorePoint]:
        if not target.is_file():
            return []
        try:
            meta, _ = read_record(target)
        except DamageFound:
            return []
        stats = meta.get("stats", {})
        return [RestorePoint(meta["id"], datetime.fromisoformat(meta["time"]), "clone", None,
                             target.stat().st_blocks * 512, {**stats, "mode": meta.get("mode")})]

    def footprint(self, target: Path) -> int:
        return sum(p.stat().st_blocks * 512 for p in (target, hashes_path(target)) if p.exists())

    def verify(self, target: Path) -> VerifyReport:
        report = VerifyReport()
        if marker_path(target).exists():
            report.damage.append(Damage("clone", target.name, "a refresh was interrupted: the clone is a "
                                        "mix of two states; run 'workbench clone protect' again"))
            return report
        try:
            meta, hashes = read_record(target)
        except DamageFound as exc:
            report.damage.append(Damage("clone", target.name, str(exc)))
            return report
        fd = os.open(target, os.O_RDONLY | os.O_CLOEXEC)
        try:
            _, stats = block_pass(fd, meta["disk_size"], reference=hashes, dst_fd=None, write="none",
                                  workers=self.workers)
        finally:
            os.close(fd)
        report.checked = stats.blocks_total
        for start, length in _block_ranges(stats.mismatched, meta["disk_size"]):
            report.damage.append(Damage("range", describe_span(start, length, meta.get("regions", [])),
                                        f"{length // BLOCK or 1} block(s) differ from the hashes recorded at "
                                        f"clone time ({meta['time']})"))
        return report

    @contextmanager
    def _mounted(self, target: Path, point_id: str) -> Iterator[tuple[str, Path]]:
        """(the clone's point id, its root filesystem mounted read-only); refused mid-refresh."""
        meta, _ = read_record(target)
        if point_id not in ("latest", meta["id"]):
            raise UsageError(f"a clone holds one point, '{meta['id']}', not '{point_id}'")
        if marker_path(target).exists():
            raise DamageFound(f"{target.name}: a refresh was interrupted; the clone is not a consistent disk")
        with mounted(target, readonly=True) as root:
            yield meta["id"], root

    def restore(self, target: Path, point_id: str | None, destination: Path, *, force: bool = False,
                rescue: bool = False, size: int | None = None) -> RestoreReport:
        """Swap in (destination is the clone itself: nothing to do), or a checked copy onto a disk."""
        meta, hashes = read_record(target)
        if point_id not in (None, "latest", meta["id"]):
            raise UsageError(f"a clone holds one point, '{meta['id']}', not '{point_id}'")
        if marker_path(target).exists():
            raise DamageFound(f"{target.name}: a refresh was interrupted; the clone is not a consistent disk")
        if workspace.resolve(destination) == target.resolve():
            return RestoreReport(meta["id"], 0, 0, [])
        path, _ = prepare(destination, meta["disk_size"], force=force, size=size, name=target.name)
        src_fd = os.open(target, os.O_RDONLY | os.O_CLOEXEC)
        dst_fd = guard.open_for_write(path)
        try:
            _, stats = block_pass(src_fd, meta["disk_size"], reference=hashes, dst_fd=dst_fd,
                                  write="matching", workers=self.workers)
        finally:
            os.close(dst_fd)
            os.close(src_fd)
        holes = [describe_span(s, n, meta.get("regions", [])) for s, n in
                 _block_ranges(stats.mismatched, meta["disk_size"])]
        if holes and not rescue:
            raise RestoreIncomplete(f"the clone differs from its recorded hashes at {'; '.join(holes[:3])}: "
                              f"{workspace.display(path)} is incomplete; pass --rescue to copy the rest")
        if path.stat().st_size > meta["disk_size"]:
            move_backup_gpt(path)
        return RestoreReport(meta["id"], stats.bytes_written, 0, holes)


def _block_ranges(blocks: list[int], size: int) -> list[tuple[int, int]]:
    ranges = normalise([(b * BLOCK, BLOCK) for b in sorted(blocks)])
    return [(s, min(n, size - s)) for s, n in ranges]


def _regions(table: PartitionTable) -> list[dict]:
    return [{"start": p.start_bytes, "size": p.size_bytes, "partition": p.number,
             "label": f"partition {p.number} {p.name or p.role}"} for p in table.partitions]


def _stats_json(stats: PassStats) -> dict:
    counters = {k: v for k, v in stats.__dict__.items() if k not in ("mismatched", "unreadable")}
    return {**counters, "read_errors": len(stats.unreadable), "unreadable_bytes": sum(n for _, n in stats.unreadable)}
