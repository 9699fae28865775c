"""RAID1 on btrfs over two loop disks: capacity, self-healing, deletions on both halves, degraded reads."""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import pytest

from workbench import guard
from workbench.disk.mounting import drop_caches
from workbench.strategies.mirror import raid1

pytestmark = pytest.mark.root

HALF = 128 << 20


def _count(image: Path, marker: bytes) -> int:
    with open(image, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
        found, start = 0, 0
        while (start := view.find(marker, start)) >= 0:
            found, start = found + 1, start + 1
        return found


def _xor(image: Path, offset: int, length: int) -> None:
    fd = guard.open_for_write(image)
    try:
        data = bytearray(os.pread(fd, length, offset))
        for index in range(0, length, 16):
            data[index] ^= 0xFF
        os.pwrite(fd, bytes(data), offset)
    finally:
        os.close(fd)


def _payload(marker: bytes) -> bytes:
    return (marker + os.urandom(64)) * 200  # ~20 KiB: real data extents, not inline metadata


def test_capacity_is_half_and_one_corrupted_half_heals(workspace: Path) -> None:
    pair_dir = workspace / "pair"
    images = raid1.create_pair(pair_dir, HALF)
    first, second = _payload(b"WB-MARKER-FIRST-7f3a"), _payload(b"WB-MARKER-SECOND-91c2")
    with raid1.mounted_pair(pair_dir) as pair:
        size = raid1.capacity(pair.mountpoint)
        assert size.raw_bytes == 2 * HALF and size.usable_bytes == HALF and size.data_ratio == 2.0
        (pair.mountpoint / "first.bin").write_bytes(first)
        (pair.mountpoint / "second.bin").write_bytes(second)
        spots = {name: raid1.locate(pair, name) for name in ("first.bin", "second.bin")}
    for placements in spots.values():
        assert {p.image for p in placements} == set(images)  # one copy on each half
    # Damage both files' copies on half A only, under the filesystem, with XOR.
    for placement in (p for ps in spots.values() for p in ps if p.image == images[0]):
        _xor(placement.image, placement.offset_bytes, 4096)
    drop_caches()
    with raid1.mounted_pair(pair_dir) as pair:
        report = raid1.scrub(pair.mountpoint)  # before any read, so scrub finds both
        assert report.errors.get("csum") == 2 and report.corrected == 2 and report.uncorrectable == 0
        assert (pair.mountpoint / "first.bin").read_bytes() == first
        assert (pair.mountpoint / "second.bin").read_bytes() == second
        stats = raid1.device_stats(pair.mountpoint)
        assert stats[pair.devices[images[0]]]["corruption_errs"] == 2
        assert stats[pair.devices[images[1]]]["corruption_errs"] == 0
        assert raid1.scrub(pair.mountpoint).clean  # healed for good
    for placement in spots["first.bin"]:  # both halves hold the right bytes again
        with open(placement.image, "rb") as handle:
            handle.seek(placement.offset_bytes)
            assert handle.read(4096) == first[:4096]


def test_a_deletion_lands_on_both_halves_and_one_half_alone_still_reads(workspace: Path) -> None:
    pair_dir = workspace / "pair"
    images = raid1.create_pair(pair_dir, HALF)
    doomed, kept = b"WB-DOOMED-5e1d-MARKER", b"WB-KEPT-0b77-MARKER"
    with raid1.mounted_pair(pair_dir) as pair:
        (pair.mountpoint / "doomed.bin").write_bytes(_payload(doomed))
        (pair.mountpoint / "kept.bin").write_bytes(_payload(kept))
        os.sync()
        assert [_count(image, doomed) for image in images] == [200, 200]
        (pair.mountpoint / "doomed.bin").unlink()
    assert [_count(image, doomed) for image in images] == [0, 0]  # RAID1 is not a backup
    assert [_count(image, kept) for image in images] == [200, 200]
    with raid1.mounted_pair(pair_dir) as pair:  # a ransomware-style overwrite lands on both halves too
        (pair.mountpoint / "victim.bin").write_bytes(_payload(b"WB-VICTIM-PLAIN-3c5d"))
        os.sync()
        (pair.mountpoint / "victim.bin").write_bytes(_payload(b"WB-VICTIM-CIPHER-8e2f"))
    assert [_count(image, b"WB-VICTIM-PLAIN-3c5d") for image in images] == [0, 0]
    assert [_count(image, b"WB-VICTIM-CIPHER-8e2f") for image in images] == [200, 200]
    with raid1.mounted_pair(pair_dir, lost=0, readonly=True) as pair:
        assert list(pair.devices) == [images[1]]
        assert (pair.mountpoint / "kept.bin").read_bytes().count(kept) == 200


def test_raid1_strategy_protects_restores_and_survives_a_lost_half(workspace: Path) -> None:
    from datetime import UTC, datetime

    from workbench.strategies.mirror import make
    from workbench.truth.judge import compare
    from workbench.truth.manifest import take_manifest

    src = workspace / "src"
    (src / "docs").mkdir(parents=True)
    (src / "docs" / "a.bin").write_bytes(os.urandom(50_000))
    (src / "b.txt").write_text("bravo\n")
    strategy = make("raid1", half_bytes=HALF)
    point = strategy.protect(src, workspace / "pair", now=datetime.now(UTC))
    assert point.extra["usable_bytes"] == HALF and point.extra["raw_bytes"] == 2 * HALF
    assert strategy.verify(workspace / "pair").ok
    (workspace / "pair" / raid1.HALVES[0]).rename(workspace / "a-lost.img")
    strategy.restore(workspace / "pair", "now", workspace / "back")
    assert compare(take_manifest(src), take_manifest(workspace / "back")).ok
    report = strategy.verify(workspace / "pair")
    assert [(d.what, d.where) for d in report.damage] == [("disk", raid1.HALVES[0])]
    assert report.checked == 13 + 1  # 4 KiB blocks read: 50,000 bytes and 6 bytes
