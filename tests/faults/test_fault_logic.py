"""Pure logic of the fault injectors: records, choosing bits and victims, table regions, superblock places."""

from __future__ import annotations

import json

import pytest

from workbench.disk.repair import backup_superblocks
from workbench.errors import UsageError
from workbench.faults.locate import placeable
from workbench.faults.ransomware import choose_victims, file_nonce, ransom_key, split_days
from workbench.faults.records import BitFlip, ByteRange, Extent, FaultRecord, rng
from workbench.faults.select import choose_bits, choose_files
from workbench.faults.table import table_regions

LOCATED = [
    ("a", [Extent(0, 10_000, 4096), Extent(4096, 500_000, 1000)]),
    ("b", [Extent(0, 1_000_000, 300_000)]),
    ("c", [Extent(0, 2_000_000, 10)]),
]


def test_record_round_trips_through_json() -> None:
    record = FaultRecord("bitrot", 7, "2026-01-01T00:00:00", "disk.img", files=["x"],
                         ranges=[ByteRange(5, 10, "disk.img", 3)], bits=[BitFlip(9, 3, "disk.img", "x", 1)],
                         blocks=[4], key="ab", details={"mode": "uniform"})
    again = FaultRecord.from_json(json.loads(record.dumps()))
    assert again == record
    assert "time" not in again.outcome()


def test_uniform_bits_are_distinct_inside_located_data_and_repeatable() -> None:
    flips = choose_bits(LOCATED, 50, "uniform", rng("bitrot", 1))
    assert flips == choose_bits(LOCATED, 50, "uniform", rng("bitrot", 1))
    assert flips != choose_bits(LOCATED, 50, "uniform", rng("bitrot", 2))
    assert len({(f.offset, f.bit) for f in flips}) == 50
    for flip in flips:
        extent = next(e for name, es in LOCATED for e in es if name == flip.file
                      and e.image_offset <= flip.offset < e.image_offset + e.length)
        assert flip.file_offset == extent.file_offset + flip.offset - extent.image_offset
        assert 0 <= flip.bit < 8


def test_clustered_bits_fall_within_one_window_of_the_data_in_path_order() -> None:
    starts = {"a": 0, "b": 5096, "c": 305_096}  # where each file begins when the data is laid end to end
    for seed in range(20):
        flips = choose_bits(LOCATED, 16, "clustered", rng("bitrot", seed), cluster_bytes=4096)
        places = [starts[f.file] + f.file_offset for f in flips]
        assert max(places) - min(places) < 4096


def test_the_same_files_at_other_disk_places_get_the_same_bits() -> None:
    """Two disks built from one seed hold the same files wherever the allocator put them."""
    moved = [(name, [Extent(e.file_offset, 7_000_000 - e.image_offset, e.length) for e in extents])
             for name, extents in reversed(LOCATED)]
    for mode in ("uniform", "clustered"):
        for seed in range(10):
            here = choose_bits(LOCATED, 16, mode, rng("bitrot", seed), cluster_bytes=4096)
            there = choose_bits(moved, 16, mode, rng("bitrot", seed), cluster_bytes=4096)
            assert sorted((f.file, f.file_offset, f.bit) for f in here) == \
                sorted((f.file, f.file_offset, f.bit) for f in there)


def test_clustered_window_widens_when_the_data_there_is_too_small() -> None:
    tiny = [("t", [Extent(0, 0, 1)]), ("u", [Extent(0, 1 << 20, 1)])]
    flips = choose_bits(tiny, 12, "clustered", rng("bitrot", 0), cluster_bytes=16)
    assert {f.file for f in flips} == {"t", "u"}


def test_too_many_bits_or_unknown_mode_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        choose_bits([("t", [Extent(0, 0, 1)])], 9, "uniform", rng("bitrot", 0))
    with pytest.raises(UsageError):
        choose_bits(LOCATED, 1, "sideways", rng("bitrot", 0))


def test_fiemap_extents_are_clipped_to_file_data() -> None:
    raw = [(0, 8192, 4096, 0), (4096, 65536, 4096, 0x1), (8192, 0, 4096, 0x4)]
    assert placeable(raw, 5000, 1 << 20) == [Extent(0, (1 << 20) + 8192, 4096), Extent(4096, (1 << 20) + 65536, 904)]


def test_choose_files_is_sorted_and_bounded() -> None:
    names = [f"f{i}" for i in range(10)]
    chosen = choose_files(names, 3, rng("deletion", 4))
    assert chosen == sorted(chosen) and len(set(chosen)) == 3
    with pytest.raises(UsageError):
        choose_files(names, 11, rng("deletion", 4))


def test_victims_and_days_partition_the_chosen_files() -> None:
    names = [f"f{i}" for i in range(10)]
    victims = choose_victims(names, 0.5, rng("ransomware", 1))
    assert len(victims) == 5
    days = split_days(victims, 3, rng("ransomware", 1))
    assert sorted(sum(days, [])) == victims and [len(d) for d in days] == [2, 2, 1]
    assert choose_victims(names, 0.01, rng("ransomware", 1)).__len__() == 1


def test_keys_and_nonces_depend_on_seed_and_path() -> None:
    assert ransom_key(1) == ransom_key(1) != ransom_key(2)
    assert len(ransom_key(1)) == 32
    assert file_nonce(ransom_key(1), "a") != file_nonce(ransom_key(1), "b")


def test_table_regions_cover_mbr_entries_and_both_gpt_copies() -> None:
    size = 64 << 20
    assert table_regions(size, "primary") == [("primary-gpt", 512, 33 * 512)]
    assert table_regions(size, "backup") == [("backup-gpt", size - 33 * 512, 33 * 512)]
    assert [r[0] for r in table_regions(size, "both")] == ["mbr-entries", "primary-gpt", "backup-gpt"]
    assert table_regions(size, "both")[0][1:] == (446, 64)


def test_backup_superblocks_are_the_standard_places() -> None:
    places = backup_superblocks()
    assert places[:2] == [(8193, 1024), (32768, 4096)]
    assert (3 * 8192 + 1, 1024) in places and (5 * 32768, 4096) in places
