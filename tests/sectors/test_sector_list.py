"""The bad-sector list (pure): merging, which reads fail, which writes clear, and its file format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.disk import sector_list
from workbench.disk.sector_list import BadSectors, SectorRange
from workbench.errors import UsageError

S = 512


def test_ranges_are_sorted_and_merged_when_they_overlap_or_touch() -> None:
    bad = BadSectors.of([SectorRange(100, 8), SectorRange(10, 4), SectorRange(14, 2), SectorRange(104, 8),
                         SectorRange(50, 0)])
    assert bad.ranges == (SectorRange(10, 6), SectorRange(100, 12))
    assert bad.sectors == 18
    assert not BadSectors.of([SectorRange(5, 0)])


def test_a_range_before_the_disk_is_refused() -> None:
    with pytest.raises(UsageError, match="before the disk"):
        BadSectors.of([SectorRange(-1, 2)])


def test_a_read_fails_exactly_when_it_touches_a_bad_sector() -> None:
    bad = BadSectors.of([SectorRange(10, 2), SectorRange(40, 8)])
    assert not bad.overlaps(0, 10 * S)  # ends where the bad run starts
    assert bad.overlaps(0, 10 * S + 1)  # one byte into it
    assert bad.overlaps(11 * S + 511, 1)  # the last byte of the run
    assert not bad.overlaps(12 * S, 28 * S)  # the gap between the runs, exactly
    assert bad.overlaps(0, 1 << 20)  # a long read across both
    assert bad.overlaps(47 * S, S)
    assert not bad.overlaps(48 * S, 1 << 20)  # after the last
    assert not bad.overlaps(10 * S, 0)  # an empty read
    assert not BadSectors().overlaps(0, 1 << 30)


def test_a_write_clears_the_bad_sectors_it_covers_whole() -> None:
    bad = BadSectors.of([SectorRange(10, 8)])
    assert bad.written(10 * S, 8 * S) == BadSectors()
    assert bad.written(12 * S, 2 * S).ranges == (SectorRange(10, 2), SectorRange(14, 4))
    assert bad.written(0, 11 * S).ranges == (SectorRange(11, 7),)
    # Unaligned: only sector 12 is covered whole; 11 and 13 are touched in part and stay bad.
    assert bad.written(11 * S + 100, 2 * S).ranges == (SectorRange(10, 2), SectorRange(13, 5))
    assert bad.written(100 * S, S) is bad  # elsewhere: nothing changes


def test_a_write_that_covers_part_of_a_bad_sector_is_told_apart() -> None:
    bad = BadSectors.of([SectorRange(10, 1)])
    assert bad.partly_covers(10 * S + 1, 10)
    assert bad.partly_covers(9 * S, S + 1)  # ends inside the bad sector
    assert not bad.partly_covers(10 * S, S)
    assert not bad.partly_covers(9 * S + 3, 100)  # in part of a good sector only


def test_the_file_round_trips_and_lies_beside_the_image(tmp_path: Path) -> None:
    image = tmp_path / "pc.img"
    assert sector_list.list_path(image) == tmp_path / "pc.img.badsectors.json"
    bad = BadSectors.of([SectorRange(8, 8), SectorRange(1024, 16)])
    sector_list.save(sector_list.list_path(image), bad)
    data = json.loads(sector_list.list_path(image).read_text())
    assert data == {"format": "workbench-bad-sectors", "version": 1, "sector_bytes": 512,
                    "ranges": [{"first_sector": 8, "sectors": 8}, {"first_sector": 1024, "sectors": 16}]}
    assert sector_list.load(sector_list.list_path(image)) == bad
    assert [p.name for p in tmp_path.iterdir()] == ["pc.img.badsectors.json"]  # no temporary file left


def test_no_file_means_no_bad_sectors(tmp_path: Path) -> None:
    assert sector_list.load(tmp_path / "missing.badsectors.json") == BadSectors()


@pytest.mark.parametrize("data, message", [
    ({"ranges": []}, "not a bad-sector list"),
    ({"format": "workbench-bad-sectors", "version": 2, "sector_bytes": 512, "ranges": []}, "version 2"),
    ({"format": "workbench-bad-sectors", "version": 1, "sector_bytes": 4096, "ranges": []}, "4096-byte"),
    ({"format": "workbench-bad-sectors", "version": 1, "sector_bytes": 512, "ranges": [{"first": 1}]}, "malformed"),
])
def test_a_wrong_file_is_refused_naming_what_is_wrong(tmp_path: Path, data: dict, message: str) -> None:
    path = tmp_path / "x.badsectors.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError, match=message):
        sector_list.load(path)
    path.write_text("{not json")
    with pytest.raises(UsageError, match="bad JSON"):
        sector_list.load(path)
