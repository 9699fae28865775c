"""Content-defined chunking: deterministic, bounded, and re-aligning after an insertion."""

from __future__ import annotations

import random

import blake3
import numpy as np
import pytest

from workbench.strategies.backup.chunker import FASTCDC, GEAR64, WINDOW, ChunkerParams, candidate_cuts, chunk_bounds

PARAMS = ChunkerParams(small_file=64 << 10, min_size=16 << 10, mask_bits=14, max_size=128 << 10)


def _brute_force_cuts(data: bytes, mask_bits: int) -> list[int]:
    """The cut test written plainly, one window at a time."""
    values = np.frombuffer(data, np.uint8).astype(np.uint64) + 0x2545F491
    values = (values * 0x9E3779B1) & 0xFFFFFFFF
    values ^= values >> 15
    values = (values * 0x85EBCA77) & 0xFFFFFFFF
    mask = (1 << mask_bits) - 1
    return [end for end in range(WINDOW, len(data) + 1) if int(values[end - WINDOW : end].sum()) & mask == 0]


def test_cuts_match_the_plain_definition_across_block_edges() -> None:
    data = random.Random(1).randbytes((1 << 20) + 5000)  # spans the 1 MiB processing block
    assert candidate_cuts(data, 10) == _brute_force_cuts(data, 10)


def test_small_files_are_one_chunk_and_sizes_are_bounded() -> None:
    rng = random.Random(2)
    assert list(chunk_bounds(rng.randbytes(1000), PARAMS)) == [(0, 1000)]
    data = rng.randbytes(2 << 20) + bytes(1 << 20)  # zeros never cut: max_size applies
    bounds = list(chunk_bounds(data, PARAMS))
    assert bounds[0][0] == 0 and bounds[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))  # contiguous
    assert all(end - start <= PARAMS.max_size for start, end in bounds)
    assert all(end - start >= PARAMS.min_size for start, end in bounds[:-1])


def test_a_run_of_one_byte_value_is_never_a_cut() -> None:
    """Holes of sparse files read as zeros: a cut at every position would cost a list entry per byte."""
    for value in range(256):
        assert candidate_cuts(bytes([value]) * 4096, 20) == [], value


def test_an_insertion_changes_only_nearby_chunks() -> None:
    data = random.Random(3).randbytes(4 << 20)
    edited = data[: 2 << 20] + b"inserted sentence" + data[2 << 20 :]
    before = {data[s:e] for s, e in chunk_bounds(data, PARAMS)}
    after = [edited[s:e] for s, e in chunk_bounds(edited, PARAMS)]
    new = [c for c in after if c not in before]
    assert len(before) > 40
    assert 1 <= len(new) <= 2  # fixed-size chunks would have changed every chunk after the insertion


def test_a_small_file_is_read_with_a_buffer_of_its_own_size(tmp_path, monkeypatch) -> None:
    """os.read(fd, n) allocates n bytes first: asking for the 64 MiB window per small file cost an mmap each."""
    from workbench.strategies.backup import create

    asked: list[int] = []
    real_read = create.os.read
    monkeypatch.setattr(create.os, "read", lambda fd, n: asked.append(n) or real_read(fd, n))
    path = tmp_path / "note.txt"
    path.write_bytes(b"x" * 1000)
    pieces, digest = create._read_file(path, ChunkerParams(), set())
    assert [p[1] for p in pieces] == [1000]
    assert digest == blake3.blake3(b"x" * 1000).hexdigest(), "the whole file's hash, kept for listings"
    assert max(asked) <= 1001


@pytest.mark.parametrize("algorithm", [FASTCDC, GEAR64])
def test_a_large_file_read_window_by_window_is_cut_as_if_read_whole(tmp_path, monkeypatch, algorithm) -> None:
    """Each window restarts at the previous window's last cut, so the window size never moves a cut."""
    from workbench.strategies.backup import create

    params = ChunkerParams(small_file=64 << 10, min_size=16 << 10, mask_bits=14, max_size=128 << 10,
                           algorithm=algorithm)
    data = random.Random(4).randbytes(3 << 20) + bytes(300 << 10) + random.Random(5).randbytes(1 << 20)
    path = tmp_path / "mailbox"
    path.write_bytes(data)
    monkeypatch.setattr(create, "READ_BLOCK", 200 << 10)  # many windows, each a few chunks long
    pieces, digest = create._read_file(path, params, set())
    expected = chunk_bounds(data, params)
    assert [p[1] for p in pieces] == [end - start for start, end in expected]
    assert [p[0] for p in pieces] == [blake3.blake3(data[s:e]).digest() for s, e in expected]
    assert digest == blake3.blake3(data).hexdigest()
    assert len(expected) > 20
