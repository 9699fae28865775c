"""The clone's block pass: the same result with any number of threads, work skipped where nothing changed,
progress told only after the bytes it counts are written, and buffers that start on a page."""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from clonekit import flip, sparse_file

from workbench.strategies.blockpass import BLOCK, SEGMENT, PassStats, block_pass, discard
from workbench.strategies.image.readbuf import PageAlignedBuffer

MiB = 1 << 20
#: Not a whole number of blocks: the last block is short.
SIZE = 9 * MiB + 3 * BLOCK + 1234


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """Data in pieces (one across a segment boundary, one in the short tail), holes elsewhere."""
    pieces = [(100_000, 300_000), (3 * MiB - 5000, 2 * BLOCK), (6 * MiB, MiB), (SIZE - 3000, 3000)]
    return sparse_file(tmp_path / "src.img", SIZE, pieces, seed=5)


@contextmanager
def opened(path: Path, flags: int = os.O_RDONLY) -> Iterator[int]:
    fd = os.open(path, flags | os.O_CREAT, 0o600)
    try:
        yield fd
    finally:
        os.close(fd)


def copy(source: Path, target: Path, *, workers: int, reference: list[bytes] | None = None,
         write: str = "all") -> tuple[list[bytes], PassStats]:
    with opened(source) as src, opened(target, os.O_RDWR) as dst:
        if write == "all":
            discard(dst, SIZE)
        return block_pass(src, SIZE, reference=reference, dst_fd=dst, write=write, workers=workers)


def test_a_page_aligned_buffer_starts_on_a_page_and_tells_zeros() -> None:
    for _ in range(4):  # fresh allocations land at different offsets from a page
        buffer = PageAlignedBuffer(SEGMENT)
        address = ctypes.addressof((ctypes.c_char * len(buffer.view)).from_buffer(buffer.view))
        assert address % mmap.PAGESIZE == 0 and len(buffer.view) == SEGMENT
        buffer.view[BLOCK + 7] = 1
        assert buffer.is_zero(bytes(BLOCK), 0) and not buffer.is_zero(bytes(BLOCK), BLOCK)


@pytest.mark.parametrize("workers", [2, 5])
def test_many_threads_copy_and_hash_as_one_does(source: Path, tmp_path: Path, workers: int) -> None:
    one_hashes, one = copy(source, tmp_path / "one.img", workers=1)
    many_hashes, many = copy(source, tmp_path / "many.img", workers=workers)
    assert many_hashes == one_hashes and len(many_hashes) == -(-SIZE // BLOCK)
    assert (tmp_path / "many.img").read_bytes() == source.read_bytes()
    assert (many.bytes_read, many.bytes_written) == (one.bytes_read, one.bytes_written)
    assert many.bytes_written < 3 * MiB  # the holes stay holes
    for at in (200_000, 3 * MiB + 2 * BLOCK, 6 * MiB + 5, SIZE - 10):  # damage in four segments
        flip(tmp_path / "many.img", at)
    _, checked = copy(tmp_path / "many.img", tmp_path / "unused.img", workers=workers, reference=one_hashes,
                      write="none")
    assert checked.mismatched == sorted(checked.mismatched) and len(checked.mismatched) == 4


def test_an_unchanged_source_refreshes_without_a_write(source: Path, tmp_path: Path) -> None:
    hashes, _ = copy(source, tmp_path / "clone.img", workers=2)
    again, stats = copy(source, tmp_path / "clone.img", workers=2, reference=hashes, write="changed")
    assert again == hashes
    assert (stats.blocks_changed, stats.bytes_written, stats.bytes_punched) == (0, 0, 0)
    flip(source, 6 * MiB + BLOCK + 1)
    _, stats = copy(source, tmp_path / "clone.img", workers=2, reference=hashes, write="changed")
    assert (stats.blocks_changed, stats.bytes_written) == (1, BLOCK)
    assert (tmp_path / "clone.img").read_bytes() == source.read_bytes()


def test_progress_is_told_in_order_once_its_segments_are_written(source: Path, tmp_path: Path) -> None:
    target = tmp_path / "clone.img"
    calls: list[tuple[int, int]] = []
    copied_at_end: list[bool] = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        if done == total:  # the kill-point tests kill here: every byte must be in the clone already
            copied_at_end.append(target.read_bytes() == source.read_bytes())

    with opened(source) as src, opened(target, os.O_RDWR) as dst:
        discard(dst, SIZE)
        block_pass(src, SIZE, reference=None, dst_fd=dst, write="all", workers=3, progress=progress)
    segments = -(-SIZE // SEGMENT)
    assert calls == [(n, segments) for n in range(1, segments + 1)]
    assert copied_at_end == [True]


def test_a_failing_write_stops_the_pass_and_is_raised(source: Path, tmp_path: Path) -> None:
    with opened(source) as src, opened(tmp_path / "clone.img", os.O_RDWR) as dst:
        discard(dst, SIZE)
        read_only = os.open(tmp_path / "clone.img", os.O_RDONLY)
        try:
            with pytest.raises(OSError) as caught:
                block_pass(src, SIZE, reference=None, dst_fd=read_only, write="all", workers=3)
        finally:
            os.close(read_only)
    assert caught.value.errno == errno.EBADF
