"""Disk sizes: the default rule as it always was, and disks sized for a fill (the search, the floor, the peak)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.disk.layout import MiB, minimum_size
from workbench.errors import UsageError
from workbench.experiment.scenario import load_scenario
from workbench.experiment.sizing import (
    MAX_FILL,
    allocated_in_blocks,
    check_fill,
    disk_size_for,
    disk_size_for_fill,
    sizes_for,
)


def test_without_a_fill_the_disks_are_as_they_always_were() -> None:
    assert [disk_size_for(size) for size in (1 << 20, 8 << 20, 24 << 20, 100 << 20)] == \
        [128 * MiB, 128 * MiB, 144 * MiB, 296 * MiB]
    assert sizes_for("classroom", None) == (24 * MiB, 144 * MiB)


@pytest.mark.parametrize("fill", [0, -0.5, MAX_FILL + 0.01, 1.0, 2.0])
def test_a_fill_that_leaves_no_room_is_refused(fill: float) -> None:
    with pytest.raises(UsageError, match="--fill"):
        check_fill(fill)


def _capacity(size: int) -> tuple[int, int]:
    """A stand-in for a made disk: 36 MiB of ESP and GPT, then 10 % of ext4 overhead; 4 KiB blocks from 512 MiB."""
    root = size - 36 * MiB
    return int(root * 0.9), 4096 if root >= 512 * MiB else 1024


@pytest.mark.parametrize("fill", [0.25, 0.5, 0.9])
def test_the_disk_is_the_smallest_whose_root_the_data_fills_that_much(fill: float) -> None:
    peaks = {1024: 30 * MiB, 4096: 33 * MiB}
    size = disk_size_for_fill(peaks, fill, _capacity)
    assert size % MiB == 0
    assert _capacity(size)[0] * fill >= peaks[1024] > _capacity(size - MiB)[0] * fill


def test_a_big_root_counts_the_data_in_its_own_bigger_blocks() -> None:
    peaks = {1024: 400 * MiB, 4096: 440 * MiB}
    size = disk_size_for_fill(peaks, 0.5, _capacity)
    assert _capacity(size)[1] == 4096 and _capacity(size)[0] * 0.5 >= peaks[4096]


def test_little_data_on_an_empty_disk_stays_on_the_layout_s_floor() -> None:
    assert disk_size_for_fill({1024: MiB, 4096: MiB}, 0.9, _capacity) == minimum_size("system")


def test_the_peak_counts_each_inode_once_in_whole_blocks_and_holes_as_nothing(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "small.txt").write_bytes(b"x" * 100)
    os.link(tmp_path / "docs" / "small.txt", tmp_path / "docs" / "again.txt")
    with open(tmp_path / "disk.raw", "wb") as handle:
        handle.write(os.urandom(4096))
        handle.truncate(64 << 20)
    (tmp_path / "short").symlink_to("docs")
    (tmp_path / "long").symlink_to("d" * 80)
    found = allocated_in_blocks(tmp_path)
    # folder + small file + long symlink + the sparse file's one allocated block
    assert found == {1024: 1024 + 1024 + 1024 + 4096, 4096: 4096 * 4}


@pytest.mark.root
def test_a_fill_sizes_the_disk_from_a_dry_run_of_the_build_and_churn(workspace: Path) -> None:
    deletion = load_scenario("deletion")
    data, half = sizes_for("classroom", 8 << 20, fill=0.5, scenarios=[deletion])
    _, full = sizes_for("classroom", 8 << 20, fill=0.9, scenarios=[deletion])
    assert data == 8 << 20 and half > full >= minimum_size("system")
    assert not any(workspace.rglob("*.img")) and not any((workspace / "experiments").iterdir()), "nothing left"
