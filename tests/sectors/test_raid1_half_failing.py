"""btrfs raid1 with bad sectors on one half: reads return the good copy, scrub reports the read errors and
rewrites the bad copy, which clears the bad sectors (a write remaps them), so a second scrub is clean."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from workbench import proc
from workbench.disk import sector_list
from workbench.disk.loop import attached
from workbench.disk.mounting import mounted_device
from workbench.disk.sector_list import SectorRange
from workbench.disk.served import served
from workbench.strategies.mirror import raid1

pytestmark = pytest.mark.root


def test_raid1_reads_the_good_copy_and_scrub_reports_and_repairs_the_bad_one(workspace: Path) -> None:
    folder = workspace / "pair"
    first, second = raid1.create_pair(folder, raid1.MIN_SIZE)
    data = os.urandom(256 * 1024)
    with raid1.mounted_pair(folder) as pair:
        (pair.mountpoint / "photo.jpg").write_bytes(data)
        placement = next(p for p in raid1.locate(pair, "photo.jpg") if p.image == second)
    bad = [SectorRange(placement.offset_bytes // 512 + 8 * k, 8) for k in range(4)]  # the file's first 16 KiB
    sector_list.save(sector_list.list_path(second), sector_list.BadSectors.of(bad))
    with ExitStack() as stack:
        failing = stack.enter_context(served(second))
        devices = [stack.enter_context(attached(first)), stack.enter_context(attached(failing))]
        stack.callback(proc.run, ["btrfs", "device", "scan", "--forget", *devices], check=False)
        proc.run(["btrfs", "device", "scan", *devices])
        point = stack.enter_context(mounted_device(devices[0], options=[f"device={devices[1]}"], label="raid1"))
        report = raid1.scrub(point)
        assert report.errors.get("read", 0) > 0 and report.corrected == report.errors["read"]
        assert report.uncorrectable == 0
        assert raid1.device_stats(point)[devices[1]]["read_io_errs"] > 0
        assert raid1.device_stats(point)[devices[0]]["read_io_errs"] == 0
        assert (point / "photo.jpg").read_bytes() == data
        assert not sector_list.load(sector_list.list_path(second)), "scrub rewrote the bad copy: sectors remapped"
        assert raid1.scrub(point).clean
