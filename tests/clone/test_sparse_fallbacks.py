"""Sparse copying where the filesystem lacks SEEK_DATA/SEEK_HOLE or copy_file_range: same bytes (no root)."""

from __future__ import annotations

import errno
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from clonekit import digest, sparse_file

from workbench.sparse import data_extents, sparse_copy
from workbench.strategies.clone import CloneStrategy

MiB = 1 << 20
NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
PIECES = [(MiB + 5_000, 300_000), (5 * MiB, 2 * MiB), (9 * MiB - 70_000, 70_000)]



@pytest.fixture
def holey(tmp_path: Path) -> Path:
    """A 9 MiB file with three pieces of random data (the last one ends the file), the rest holes."""
    return sparse_file(tmp_path / "holey.img", 9 * MiB, PIECES, seed=7)


def _no_seek_data(monkeypatch: pytest.MonkeyPatch, code: int, *, after: int = 0,
                  whences: tuple[int, ...] = (os.SEEK_DATA, os.SEEK_HOLE)) -> None:
    """Make SEEK_DATA/SEEK_HOLE fail with ``code`` at offsets >= ``after``, as on a filesystem without them."""
    real = os.lseek

    def lseek(fd: int, offset: int, whence: int) -> int:
        if whence in whences and offset >= after:
            raise OSError(code, os.strerror(code))
        return real(fd, offset, whence)

    monkeypatch.setattr(os, "lseek", lseek)


def _no_copy_file_range(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    def copy_file_range(*args, **kwargs) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "copy_file_range", copy_file_range)


def _extents(path: Path) -> list[tuple[int, int]]:
    fd = os.open(path, os.O_RDONLY)
    try:
        return data_extents(fd, path.stat().st_size)
    finally:
        os.close(fd)


def _copy(src: Path, dst: Path) -> int:
    src_fd = os.open(src, os.O_RDONLY)
    dst_fd = os.open(dst, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        return sparse_copy(src_fd, dst_fd)
    finally:
        os.close(dst_fd)
        os.close(src_fd)


@pytest.mark.parametrize("code", [errno.EINVAL, errno.EOPNOTSUPP])
def test_without_seek_data_the_whole_file_is_data(holey: Path, monkeypatch: pytest.MonkeyPatch, code: int):
    _no_seek_data(monkeypatch, code)
    assert _extents(holey) == [(0, 9 * MiB)]


def test_seek_data_failing_midway_counts_the_rest_as_data(holey: Path, monkeypatch: pytest.MonkeyPatch):
    first = _extents(holey)[0]
    _no_seek_data(monkeypatch, errno.EINVAL, after=1, whences=(os.SEEK_DATA,))
    extents = _extents(holey)
    assert extents[0] == first
    assert extents[1] == (sum(first), 9 * MiB - sum(first))


def test_other_seek_errors_are_not_hidden(holey: Path, monkeypatch: pytest.MonkeyPatch):
    _no_seek_data(monkeypatch, errno.EIO)
    with pytest.raises(OSError) as caught:
        _extents(holey)
    assert caught.value.errno == errno.EIO


@pytest.mark.parametrize("code", [errno.EXDEV, errno.EINVAL])
def test_copy_without_copy_file_range_or_seek_data_is_identical(holey: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch, code: int):
    _no_copy_file_range(monkeypatch, code)
    _no_seek_data(monkeypatch, errno.EINVAL)
    copy = tmp_path / "copy.img"
    assert _copy(holey, copy) == 9 * MiB  # every byte read, holes as zeros
    assert copy.stat().st_size == holey.stat().st_size
    assert digest(copy) == digest(holey)


def test_copy_without_copy_file_range_keeps_holes(holey: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _no_copy_file_range(monkeypatch, errno.EXDEV)
    copy = tmp_path / "copy.img"
    _copy(holey, copy)
    assert digest(copy) == digest(holey)
    assert copy.stat().st_blocks * 512 < 4 * MiB


def test_clone_without_seek_data_is_identical_and_verifies(holey: Path, workspace: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    source = workspace / "src.img"
    os.rename(holey, source)
    clone = workspace / "clone.img"
    _no_seek_data(monkeypatch, errno.EINVAL)
    point = CloneStrategy().protect(source, clone, now=NOW)
    assert point.extra["bytes_read"] == 9 * MiB  # no hole information: everything is read
    assert digest(clone) == digest(source)
    assert clone.stat().st_blocks * 512 < 4 * MiB  # zero blocks are still not written
    assert CloneStrategy().verify(clone).ok
