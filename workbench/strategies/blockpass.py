"""The clone's one pass over a disk: read each 1 MiB segment, hash its 64 KiB blocks, write what is asked.

Where the time goes (a 2 GiB system disk, 1 GiB of data, warm cache, two cores): the
copy is bound by the kernel's two copies, the read from the source's page cache and the
write into the clone's (ext4 takes the inode lock for a buffered write, so two writers
take turns); XXH3 adds a tenth, Python's work per block less. So the pass is shaped to
keep the kernel busy and pay Python little:

- each worker thread owns one buffer and pulls segment numbers from a shared counter
  (no future per segment: 2,048 of them cost more than the hashing);
- a segment whose hashes equal the recorded ones is done after one list comparison;
- runs of written blocks go out in one ``pwrite`` each, after a ``fallocate`` of the run
  when the copy is fresh: ext4 then maps the run once instead of reserving each page of
  it, a fifth of the write's CPU here;
- the per-thread buffer is reused, since a fresh one page-faults at every 4 KiB, and
  starts on a page, which made the kernel's copies five times cheaper (readbuf.py).

The unit of progress is one segment, reported in order and only once the segment is
written, so the last report falls after the last write (the kill-point tests count on it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import itertools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..errors import OperationFailed
from ..sparse import data_extents
from .base import ProgressCallback
from .image.plan import normalise, per_chunk
from .image.readbuf import PageAlignedBuffer, read_ranges

BLOCK = 64 * 1024
SEGMENT = 1 << 20  # 1 MiB: read, hashed and written while in cache (8 MiB cost 5x the CPU here)
PER_SEGMENT = SEGMENT // BLOCK
_FALLOC_KEEP_SIZE = 0x01
_FALLOC_PUNCH = _FALLOC_KEEP_SIZE | 0x02  # FALLOC_FL_PUNCH_HOLE


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

    def add(self, other: PassStats) -> None:
        self.bytes_read += other.bytes_read
        self.bytes_written += other.bytes_written
        self.bytes_punched += other.bytes_punched
        self.blocks_changed += other.blocks_changed
        self.mismatched += other.mismatched
        self.unreadable += other.unreadable


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _punch(fd: int, offset: int, length: int) -> None:
    """Deallocate a range (the file keeps its size); write zeros where punching is unsupported."""
    if _libc().fallocate(fd, _FALLOC_PUNCH, ctypes.c_long(offset), ctypes.c_long(length)) != 0:
        _write_all(fd, memoryview(bytes(length)), offset)


def _preallocate(fd: int, offset: int, length: int) -> None:
    """Allocate a range about to be written whole; a filesystem (or device) that cannot is simply written."""
    _libc().fallocate(fd, _FALLOC_KEEP_SIZE, ctypes.c_long(offset), ctypes.c_long(length))


def discard(fd: int, size: int) -> None:
    """Make ``fd`` a file of ``size`` zero bytes, all holes, for a fresh copy.

    Not ``ftruncate(fd, 0)``: ext4 takes a file truncated to zero for a file being
    replaced (auto_da_alloc) and flushes all it is written with at ``close``, which
    cost a third of a full clone's time here. Punching leaves it alone.
    """
    old = os.fstat(fd).st_size
    if old and _libc().fallocate(fd, _FALLOC_PUNCH, ctypes.c_long(0), ctypes.c_long(old)) != 0:
        os.ftruncate(fd, 0)  # a filesystem that cannot punch
    os.ftruncate(fd, size)


def _write_all(fd: int, view: memoryview, offset: int) -> int:
    """``pwrite`` until all of ``view`` is written (a short write is followed by the error that caused it)."""
    done = 0
    while done < len(view):
        written = os.pwrite(fd, view[done:], offset + done)
        if written == 0:
            raise OperationFailed(f"writing the copy made no progress at byte {offset + done}")
        done += written
    return done


def zero_digest(length: int) -> bytes:
    import xxhash

    return xxhash.xxh3_128_digest(bytes(length))


def block_pass(src_fd: int, size: int, *, reference: list[bytes] | None, dst_fd: int | None, write: str,
               workers: int = 2, progress: ProgressCallback | None = None) -> tuple[list[bytes], PassStats]:
    """Read ``src_fd`` block by block; hash; write per ``write``; return (hashes, stats).

    ``write``: "all" (non-zero blocks, a fresh copy), "changed" (blocks whose
    hash differs from ``reference``; zeroed ones are punched), "matching"
    (a checked copy: only blocks equal to ``reference``), or "none" (verify).
    """
    started = time.perf_counter()
    count = -(-size // BLOCK)
    segments = -(-size // SEGMENT)
    hashes: list[bytes] = [b""] * count
    one_segment = _segment_worker(src_fd, size, reference, dst_fd, write, hashes)
    numbers = itertools.count()  # next() on it is atomic: the threads share it without a lock
    stop = threading.Event()
    reported = threading.Lock()
    done = 0

    def work() -> PassStats:
        nonlocal done
        stats = PassStats()
        buf = PageAlignedBuffer(SEGMENT)
        try:
            while not stop.is_set() and (number := next(numbers)) < segments:
                one_segment(number, buf, stats)
                if progress is not None:
                    with reported:
                        done += 1
                        progress(done, segments)
        except BaseException:
            stop.set()
            raise
        return stats

    total = PassStats(blocks_total=count)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="clone") as pool:
        futures = [pool.submit(work) for _ in range(max(1, min(workers, segments)))]
        try:
            for future in futures:
                total.add(future.result())
        finally:
            stop.set()  # an interrupted wait (Ctrl-C) ends the others after their segment
    total.mismatched.sort()  # in disk order, as if one thread had done it all
    total.unreadable.sort()
    total.seconds = round(time.perf_counter() - started, 6)
    return hashes, total


def _segment_worker(src_fd: int, size: int, reference: list[bytes] | None, dst_fd: int | None, write: str,
                    hashes: list[bytes]) -> Callable[[int, PageAlignedBuffer, PassStats], None]:
    """The function that does one segment of a pass, its constants bound once."""
    import xxhash

    digest_of = xxhash.xxh3_128_digest
    reads = per_chunk(normalise(data_extents(src_fd, size)), SEGMENT)  # one listing, not one per segment
    zeros = memoryview(bytes(SEGMENT))
    zero_block = bytes(BLOCK)
    zero_full = zero_digest(BLOCK)
    tail = size % BLOCK
    zero_tail = zero_digest(tail) if tail else zero_full
    zero_segment = [zero_full] * PER_SEGMENT
    last_block = -(-size // BLOCK) - 1

    def one_segment(number: int, buf: PageAlignedBuffer, stats: PassStats) -> None:
        start = number * SEGMENT
        length = min(SEGMENT, size - start)
        first = start // BLOCK
        nblocks = -(-length // BLOCK)
        view = buf.view[:length]
        seg_reads = reads.get(number)
        unread: set[int] = set()
        if not seg_reads:  # a segment of holes is never read nor scanned
            digests = zero_segment[:nblocks]
            nonzero = [False] * nblocks
        else:
            known_bad = len(stats.unreadable)
            stats.bytes_read += read_ranges(src_fd, view, start, length, seg_reads, zeros, stats.unreadable)
            if len(stats.unreadable) > known_bad:
                unread = _blocks_of(stats.unreadable[known_bad:], start)
            digests, nonzero = [], []
            for lo in range(0, length - length % BLOCK, BLOCK):
                if buf.is_zero(zero_block, lo):
                    digests.append(zero_full)
                    nonzero.append(False)
                else:
                    digests.append(digest_of(view[lo:lo + BLOCK]))
                    nonzero.append(True)
            if length % BLOCK:
                lo = length - length % BLOCK
                is_data = not buf.is_zero(bytes(length - lo), lo)
                digests.append(digest_of(view[lo:length]) if is_data else zero_tail)
                nonzero.append(is_data)
        if first + nblocks - 1 == last_block and not nonzero[-1]:
            digests[-1] = zero_tail
        old = reference[first:first + nblocks] if reference is not None else None
        if write == "all":
            keep = nonzero
        elif old is not None and digests == old and not unread:  # the common case of a refresh or a check
            keep = [False] * nblocks if write != "matching" else nonzero
        else:
            keep = _decide(write, first, digests, nonzero, old or [], unread, stats)
        hashes[first:first + nblocks] = digests
        if dst_fd is not None and any(keep):
            _write_runs(dst_fd, view, start, keep, nonzero, stats, fresh=write == "all",
                        punch=write == "changed")

    return one_segment


def _blocks_of(unreadable: list[tuple[int, int]], start: int) -> set[int]:
    """Segment-relative numbers of the blocks that hold any of the ``unreadable`` runs."""
    return {rel // BLOCK for offset, length in unreadable
            for rel in range((offset - start) // BLOCK * BLOCK, offset - start + length, BLOCK)}


def _decide(write: str, first: int, digests: list[bytes], nonzero: list[bool], old: list[bytes],
            unread: set[int], stats: PassStats) -> list[bool]:
    """Which blocks of a segment to write (or, refreshing, to punch when zero), block by block."""
    keep = []
    for j, digest in enumerate(digests):
        recorded = old[j] if j < len(old) else None
        if write == "changed":
            if j in unread:  # a refresh keeps the clone's block where the source's would not read
                digests[j] = recorded if recorded is not None else digest
                keep.append(False)
                continue
            changed = digest != recorded
            stats.blocks_changed += changed
            keep.append(changed)
        else:
            if digest != recorded:
                stats.mismatched.append(first + j)
            keep.append(write == "matching" and digest == recorded and nonzero[j])
    return keep


def _write_runs(fd: int, view: memoryview, base: int, keep: list[bool], nonzero: list[bool], stats: PassStats,
                *, fresh: bool, punch: bool) -> None:
    """Write each run of kept non-zero blocks in one ``pwrite`` (allocated first when ``fresh``); punch each
    run of kept zero blocks when ``punch``."""
    length = len(view)
    j = 0
    while j < len(keep):
        if not keep[j]:
            j += 1
            continue
        data = nonzero[j]
        end = j + 1
        while end < len(keep) and keep[end] and nonzero[end] == data:
            end += 1
        lo, hi = j * BLOCK, min(end * BLOCK, length)
        if data:
            if fresh:
                _preallocate(fd, base + lo, hi - lo)
            stats.bytes_written += _write_all(fd, view[lo:hi], base + lo)
        elif punch:
            _punch(fd, base + lo, hi - lo)
            stats.bytes_punched += hi - lo
        j = end
