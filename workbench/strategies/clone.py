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
copying a clone back onto a disk uses the same checked pass.

While a refresh runs, ``CLONE.img.refreshing`` exists: a refresh killed
midway leaves it, verify reports it, and the next protect rewrites the clone
in full. The clone needs no restore step: it attaches and mounts as it is
(RTO = attach time); ``restore`` onto another disk is a checked copy.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import os
import struct
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import durable, guard, workspace
from ..disk import locks
from ..disk.mounting import mounted
from ..disk.table import PartitionTable, move_backup_gpt, read_table
from ..errors import DamageFound, RestoreIncomplete, UsageError
from ..sparse import data_extents
from .base import Damage, ProgressCallback, RestorePoint, RestoreReport, Scope, SourceKind, VerifyReport
from .image.destination import prepare
from .image.plan import describe_span, normalise, per_chunk
from .image.readbuf import ThreadBuffers, read_ranges
from .mirror.listing import MountedLister
from .quiesce import held_still
from .target_full import reports_full_target

BLOCK = 64 * 1024
SEGMENT = 1 << 20  # 1 MiB: read, hashed and written while in cache (8 MiB cost 5x the CPU here)
_MAGIC = b"WBCLONE1"
HASH_NAME = "xxh3-128"
DIGEST_SIZE = 16
_FALLOC_PUNCH = 0x01 | 0x02  # FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE


@dataclass
class PassStats:
    """The engine's own counters."""

    bytes_read: int = 0
    bytes_written: int = 0
    bytes_punched: int = 0
    blocks_total: int = 0
    blocks_changed: int = 0
    seconds: float = 0.0
    mismatched: list[int] = field(default_factory=list)  # block numbers (check passes)
    #: (offset, length) of the source's runs of sectors that would not read: copied around, as ddrescue does
    unreadable: list[tuple[int, int]] = field(default_factory=list)


def hashes_path(clone: Path) -> Path:
    return clone.with_name(clone.name + ".hashes")


def marker_path(clone: Path) -> Path:
    return clone.with_name(clone.name + ".refreshing")


def _zero_digest(length: int) -> bytes:
    import xxhash

    return xxhash.xxh3_128_digest(bytes(length))


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _punch(fd: int, offset: int, length: int) -> None:
    """Deallocate a range (the file keeps its size); write zeros where punching is unsupported."""
    if _libc().fallocate(fd, _FALLOC_PUNCH, ctypes.c_long(offset), ctypes.c_long(length)) != 0:
        os.pwrite(fd, bytes(length), offset)


def _discard(fd: int, size: int) -> None:
    """Make ``fd`` a file of ``size`` zero bytes, all holes, for a fresh copy.

    Not ``ftruncate(fd, 0)``: ext4 takes a file truncated to zero for a file being
    replaced (auto_da_alloc) and flushes all it is written with at ``close``, which
    cost a third of a full clone's time here. Punching leaves it alone.
    """
    old = os.fstat(fd).st_size
    if old and _libc().fallocate(fd, _FALLOC_PUNCH, ctypes.c_long(0), ctypes.c_long(old)) != 0:
        os.ftruncate(fd, 0)  # a filesystem that cannot punch
    os.ftruncate(fd, size)


def block_pass(src_fd: int, size: int, *, reference: list[bytes] | None, dst_fd: int | None, write: str,
               workers: int = 2, progress: ProgressCallback | None = None) -> tuple[list[bytes], PassStats]:
    """Read ``src_fd`` block by block; hash; write per ``write``; return (hashes, stats).

    ``write``: "all" (non-zero blocks, a fresh copy), "changed" (blocks whose
    hash differs from ``reference``; zeroed ones are punched), "matching"
    (a checked copy: only blocks equal to ``reference``), or "none" (verify).
    """
    import xxhash

    started = time.perf_counter()
    reads = per_chunk(normalise(data_extents(src_fd, size)), SEGMENT)  # one pass, not one per segment
    count = -(-size // BLOCK)
    zero_block = bytes(BLOCK)
    buffers = ThreadBuffers(SEGMENT)
    zero_full = _zero_digest(BLOCK)
    zero_tail = _zero_digest(size - (count - 1) * BLOCK) if count else zero_full

    def segment(seg_start: int) -> tuple[int, list[bytes], PassStats]:
        seg_len = min(SEGMENT, size - seg_start)
        stats = PassStats()
        buf = buffers.get()
        view = memoryview(buf)[:seg_len]
        seg_reads = reads.get(seg_start // SEGMENT, ())
        if seg_reads:
            stats.bytes_read = read_ranges(src_fd, buf, seg_start, seg_len, seg_reads, buffers.zeros,
                                           stats.unreadable)
        unread = {(offset + k - seg_start) // BLOCK for offset, length in stats.unreadable
                  for k in range(0, length, min(length, BLOCK))} | {
                     (offset + length - 1 - seg_start) // BLOCK for offset, length in stats.unreadable}
        nblocks = -(-seg_len // BLOCK)
        first = seg_start // BLOCK
        digests, runs = [], []
        nonzero = []
        for j in range(nblocks):
            number = first + j
            lo, hi = j * BLOCK, min((j + 1) * BLOCK, seg_len)
            nonzero.append(bool(seg_reads) and not (  # a segment of holes is never read nor scanned
                buf.startswith(zero_block, lo) if hi - lo == BLOCK else buf[lo:hi] == bytes(hi - lo)))
            digest = xxhash.xxh3_128_digest(view[lo:hi]) if nonzero[j] else (
                zero_tail if number == count - 1 else zero_full)
            digests.append(digest)
            old = reference[number] if reference is not None and number < len(reference) else None
            if j in unread and write == "changed":  # a refresh keeps the clone's block where the source's
                digests[-1] = old if old is not None else digest  # would not read (a fresh copy has zeros there)
                runs.append((lo, hi, False, False))
                continue
            if write == "all":
                keep = bool(nonzero[j])
            elif write == "changed":
                keep = digest != old
                stats.blocks_changed += keep
            else:
                if digest != old:
                    stats.mismatched.append(number)
                keep = write == "matching" and digest == old and bool(nonzero[j])
            runs.append((lo, hi, keep, bool(nonzero[j])))
        if dst_fd is not None:
            _write_runs(dst_fd, view, seg_start, runs, stats, punch=write == "changed")
        return seg_start, digests, stats

    total = PassStats(blocks_total=count)
    hashes: list[bytes] = []
    segments = range(0, size, SEGMENT)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clone") as pool:
        for done, (_, digests, stats) in enumerate(pool.map(segment, segments), 1):
            if progress is not None:
                progress(done, len(segments))
            hashes += digests
            total.bytes_read += stats.bytes_read
            total.bytes_written += stats.bytes_written
            total.bytes_punched += stats.bytes_punched
            total.blocks_changed += stats.blocks_changed
            total.mismatched += stats.mismatched
            total.unreadable += stats.unreadable
    total.seconds = round(time.perf_counter() - started, 6)
    return hashes, total


def _write_runs(fd: int, view: memoryview, base: int, runs: list[tuple[int, int, bool, bool]],
                stats: PassStats, *, punch: bool) -> None:
    """Write consecutive kept non-zero blocks in one pwrite; punch kept zero blocks when refreshing."""
    pending: list[int] | None = None
    for lo, hi, keep, nonzero in runs + [(0, 0, False, False)]:
        if keep and nonzero and pending is not None and pending[1] == lo:
            pending[1] = hi
            continue
        if pending is not None:
            stats.bytes_written += os.pwrite(fd, view[pending[0]:pending[1]], base + pending[0])
            pending = None
        if keep and nonzero:
            pending = [lo, hi]
        elif keep and punch:
            _punch(fd, base + lo, hi - lo)
            stats.bytes_punched += hi - lo


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
            try:
                marker_path(target).touch()  # from here on the clone may be a mix of two states
                if mode == "full":
                    _discard(dst_fd, size)
                hashes, stats = block_pass(src_fd, size, reference=reference, dst_fd=dst_fd,
                                           write="changed" if reference is not None else "all",
                                           workers=self.workers, progress=progress)
                if self.sync:
                    os.fsync(dst_fd)
            finally:
                os.close(dst_fd)
                os.close(src_fd)
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
