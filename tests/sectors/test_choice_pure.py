"""Choosing bad runs and reading debugfs's answers (pure): alignment, inode slots, determinism, parsers."""

from __future__ import annotations

import random

import pytest

from workbench.disk import ext4_places
from workbench.errors import OperationFailed, UsageError
from workbench.faults.locate import Extent
from workbench.faults.read_errors import (
    RUN_BYTES,
    Survey,
    choose_data_runs,
    holds_of,
    inodes_in_run,
    run_at,
    runs_inside,
)

K = 4096


def test_runs_lie_wholly_inside_the_data_and_on_4k_boundaries() -> None:
    extents = [Extent(0, 10 * K + 100, 3 * K), Extent(3 * K, 20 * K, K - 1), Extent(4 * K, 40 * K, 2 * K)]
    # The first extent holds [10K+100, 13K+100): only the run at 11K..13K fits whole; the second is too short.
    assert runs_inside(extents) == [11 * K, 12 * K, 40 * K, 41 * K]
    assert all(offset % RUN_BYTES == 0 for offset in runs_inside(extents))
    assert run_at(11 * K + 5) == 11 * K and run_at(11 * K) == 11 * K


def test_the_inodes_of_a_run_are_counted_from_the_group_table() -> None:
    table = 100 * K + 2048  # the table need not start on a run boundary
    # 256-byte inodes: the run at 101K holds slots 8..23 of the group, inodes 8+1 .. 23+1 for group 0.
    assert inodes_in_run(101 * K, table, 256, 1, 1792) == range(9, 25)
    assert inodes_in_run(101 * K, table, 256, 1793, 1792) == range(1801, 1817)
    assert inodes_in_run(100 * K, table, 256, 1, 1792) is None  # starts before the table (bitmaps live there)
    end = table + 1792 * 256
    assert inodes_in_run(run_at(end - 1), table, 256, 1, 1792) is None  # runs past its end
    assert inodes_in_run(run_at(end - 1) - K, table, 256, 1, 1792).stop == 1792 - 7


def _survey() -> Survey:
    survey = Survey()
    for index in range(12):
        path = f"home/u/f{index:02d}"
        survey.inodes[path] = 20 + index
        survey.extents[path] = [Extent(0, (100 + 10 * index) * K, (1 + index % 3) * K)]
    survey.extents["home/u/tiny"] = [Extent(0, 500 * K, 100)]
    return survey


def test_data_runs_are_the_same_for_the_same_seed_and_differ_for_another() -> None:
    survey = _survey()
    first = choose_data_runs(survey, 3, random.Random("seed-1"))
    assert first == choose_data_runs(survey, 3, random.Random("seed-1"))
    assert {run.target for run in first} != {run.target for run in choose_data_runs(survey, 3, random.Random("seed-2"))}
    for run in first:
        assert run.aimed_at == "data" and run.holds == {"file_data": [run.target]}
        assert run.offset in runs_inside(survey.extents[run.target])
    assert "home/u/tiny" not in {run.target for seed in range(20)
                                 for run in choose_data_runs(survey, 12, random.Random(seed))}


def test_more_bad_files_than_files_with_a_whole_run_is_refused() -> None:
    with pytest.raises(UsageError, match="only 12 files"):
        choose_data_runs(_survey(), 13, random.Random(0))


def test_a_run_holding_metadata_or_reserved_inodes_is_not_chosen() -> None:
    names = {12: "home", 13: "home/a", 14: "home/a/f"}
    folders = {"", "home", "home/a"}
    assert holds_of({1: 13, 2: 14, 3: None, 4: 13}, names, folders) == {
        "file_data": ["home/a/f"], "directory_entries": ["home/a"]}
    assert holds_of({1: 13, 2: "metadata"}, names, folders) is None  # a bitmap or a group descriptor
    assert holds_of({1: 13, 2: 8}, names, folders) is None  # the journal's inode is not among the names
    assert holds_of({1: None}, names, folders) == {}


DUMPE2FS = """Filesystem volume name:   <none>
Inode count:              14336
Block size:               1024
Inodes per group:         1792
First inode:              11
Inode size:	          256
"""

DEBUGFS = """debugfs 1.47.0 (5-Feb-2023)
debugfs: imap <12>
Inode 12 is part of block group 0
	located at block 277, offset 0x0300
debugfs: blocks "/home/a"
4386 4387
debugfs: icheck 4386 277 300
Block	Inode number
4386	13
277	<block not found>
300	<block not found>
debugfs: testb 277
Block 277 marked in use
debugfs: testb 300
Block 300 not in use
"""


def test_debugfs_and_dumpe2fs_answers_are_read() -> None:
    assert ext4_places.parse_geometry(DUMPE2FS) == ext4_places.Geometry(1024, 256, 1792, 11)
    imap, blocks, icheck, used, free = ext4_places.split_answers(DEBUGFS, 5)
    assert ext4_places.parse_imap(imap) == (277, 0x300)
    assert ext4_places.parse_blocks(blocks) == [4386, 4387]
    assert ext4_places.parse_icheck(icheck) == {4386: 13, 277: None, 300: None}
    assert ext4_places.parse_testb(used + "\n" + free) == {277: True, 300: False}
    with pytest.raises(OperationFailed, match="answered 5 of 6"):
        ext4_places.split_answers(DEBUGFS, 6)
    with pytest.raises(OperationFailed, match="no ext4 geometry"):
        ext4_places.parse_geometry("Block size: 1024\n")
    with pytest.raises(OperationFailed, match="could not place"):
        ext4_places.parse_imap("imap: File not found by ext2_lookup")


def test_paths_are_quoted_for_debugfs_and_unquotable_ones_refused() -> None:
    assert ext4_places.quote("home/my docs") == '"/home/my docs"'
    with pytest.raises(UsageError, match="cannot be passed to debugfs"):
        ext4_places.quote('home/say "hi"')
