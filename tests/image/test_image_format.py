"""The image format and the read plan: pure functions, no root."""

from __future__ import annotations

import pytest

from workbench.strategies.image import format as fmt
from workbench.strategies.image.plan import intersect, normalise, per_chunk, subtract, wanted_ranges
from workbench.strategies.image.restore import nonzero_runs


def test_preamble_round_trip_and_checksum():
    header = {"id": "0001-x", "disk_size": 123, "chunk_size": 4096}
    blob = fmt.encode_preamble(header) + b"chunks follow"
    decoded, size = fmt.decode_preamble(blob)
    assert decoded == header
    assert blob[size:] == b"chunks follow"
    damaged = bytearray(blob)
    damaged[fmt.PREAMBLE_SIZE + 3] ^= 0x01
    with pytest.raises(fmt.ImageDamaged, match="checksum"):
        fmt.decode_preamble(bytes(damaged))


def test_index_round_trip_keeps_every_entry():
    entries = [fmt.ChunkEntry(fmt.HOLE), fmt.ChunkEntry(fmt.DATA, 100, 50, b"a" * 32),
               fmt.ChunkEntry(fmt.PARENT, 0, 0, b"b" * 32)]
    blob = fmt.encode_index(entries, {"bytes_read": 7})
    decoded, stats = fmt.decode_index(blob, 3)
    assert decoded == entries
    assert stats == {"bytes_read": 7}
    with pytest.raises(fmt.ImageDamaged):
        fmt.decode_index(blob, 4)


def test_end_record_recognises_truncation():
    index = fmt.encode_index([fmt.ChunkEntry(fmt.HOLE)], {})
    end = fmt.encode_end(1000, index, 1)
    record = fmt.decode_end(end)
    assert (record.index_offset, record.index_len, record.chunk_count) == (1000, len(index), 1)
    fmt.check_index(index, record)
    with pytest.raises(fmt.ImageDamaged, match="truncated"):
        fmt.decode_end(b"\0" * fmt.END_SIZE)
    with pytest.raises(fmt.ImageDamaged, match="checksum"):
        fmt.check_index(index[:-1] + bytes([index[-1] ^ 1]), record)


def test_range_arithmetic():
    assert normalise([(10, 5), (0, 4), (4, 2), (30, 0)]) == [(0, 6), (10, 5)]
    assert intersect([(0, 10), (20, 10)], [(5, 20)]) == [(5, 5), (20, 5)]
    assert subtract([(0, 100)], [(10, 10), (50, 60)]) == [(0, 10), (20, 30)]


def test_wanted_ranges_reads_only_used_blocks_inside_a_filesystem():
    data = [(0, 1000)]  # the image file holds data everywhere
    filesystems = {(100, 500): [(100, 10), (300, 20)]}
    assert wanted_ranges(1000, data, filesystems) == [(0, 110), (300, 20), (600, 400)]
    # a used block that is a hole in the file is not read
    assert wanted_ranges(1000, [(0, 50), (600, 100)], filesystems) == [(0, 50), (600, 100)]


def test_per_chunk_splits_at_boundaries():
    assert per_chunk([(1000, 3000)], 2048) == {0: [(1000, 1048)], 1: [(2048, 1952)]}


def test_nonzero_runs_finds_data_granules():
    data = bytearray(16384)
    data[5000] = 1
    data[12288] = 2
    assert nonzero_runs(bytes(data)) == [(4096, 4096), (12288, 4096)]
    assert nonzero_runs(bytes(8192)) == []
    tail = bytearray(70_000)  # a zero piece and a short, odd tail (the disk's last chunk)
    tail[69_000] = 3
    assert nonzero_runs(bytes(tail)) == [(65_536, 4_096)]  # the short zero granule at the end stays a hole
    tail[65_536 + 4_096 * 0] = 0
    tail[65_000] = 1  # now the first piece has data in its last granule only
    assert nonzero_runs(bytes(tail)) == [(61_440, 2 * 4_096)]
    full = bytes([1]) * (128 * 1024)
    assert nonzero_runs(full) == [(0, 128 * 1024)]  # adjacent pieces merge
