"""The clone: byte-identical, sparse, refreshed by changed blocks, verified against its own hashes."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from clonekit import digest, flip, sparse_file

from workbench.errors import DamageFound, UsageError
from workbench.strategies.clone import BLOCK, CloneStrategy, marker_path

MiB = 1 << 20
NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]

SLOW_REFRESH = """
import os, sys, time
from datetime import datetime, timezone
from pathlib import Path
from workbench.strategies.clone import CloneStrategy
real_pwrite = os.pwrite
def slow_pwrite(fd, data, offset):  # each write lingers: the refresh is killed between two of them
    written = real_pwrite(fd, data, offset)
    time.sleep(1.0)
    return written
os.pwrite = slow_pwrite
CloneStrategy(workers=1).protect(Path(sys.argv[1]), Path(sys.argv[2]), now=datetime.now(timezone.utc))
"""


def _allocated(path: Path) -> int:
    return path.stat().st_blocks * 512



@pytest.fixture
def sparse_source(workspace: Path) -> Path:
    """A 32 MiB file: 8 MiB of random data in pieces, the rest holes (no root needed)."""
    pieces = [(i * 4 * MiB + 100_000, MiB) for i in range(8)]
    return sparse_file(workspace / "src.img", 32 * MiB, pieces, seed=3)


def test_clone_is_byte_identical_and_sparse(sparse_source: Path, workspace: Path):
    clone = workspace / "clone.img"
    point = CloneStrategy().protect(sparse_source, clone, now=NOW)
    assert digest(clone) == digest(sparse_source)
    assert clone.stat().st_size == sparse_source.stat().st_size
    assert _allocated(clone) <= _allocated(sparse_source) + 8 * BLOCK
    assert point.extra["bytes_read"] <= _allocated(sparse_source)  # holes are not read
    assert 8 * MiB <= point.extra["bytes_written"] <= 8 * MiB + 16 * BLOCK
    assert CloneStrategy().verify(clone).ok


def test_refresh_writes_only_changed_blocks_and_punches_new_holes(sparse_source: Path, workspace: Path):
    clone = workspace / "clone.img"
    strategy = CloneStrategy()
    full = strategy.protect(sparse_source, clone, now=NOW)
    fd = os.open(sparse_source, os.O_RDWR)
    try:
        os.pwrite(fd, os.urandom(50_000), 2 * 4 * MiB + 300_000)  # ~1 % of the data changes
        os.pwrite(fd, bytes(MiB), 5 * 4 * MiB + 100_000)  # a piece becomes zeros...
    finally:
        os.close(fd)
    refreshed = strategy.protect(sparse_source, clone, now=NOW)
    assert refreshed.extra["mode"] == "refresh"
    assert digest(clone) == digest(sparse_source)
    assert refreshed.extra["bytes_written"] <= 2 * BLOCK
    assert refreshed.extra["bytes_written"] < 0.10 * full.extra["bytes_written"]
    assert refreshed.extra["bytes_punched"] >= MiB - 2 * BLOCK  # ...and a hole in the clone
    assert _allocated(clone) <= 7 * MiB + 8 * BLOCK
    assert strategy.verify(clone).ok


def test_a_full_clone_over_an_old_one_leaves_nothing_of_it(sparse_source: Path, workspace: Path):
    """The old clone is punched out, not truncated (ext4 flushes a file truncated to zero at close):
    none of its data survives where the new source has holes, and the new clone is as sparse."""
    clone = workspace / "clone.img"
    other = sparse_file(workspace / "other.img", 40 * MiB, [(i * 4 * MiB + 2 * MiB, MiB // 2) for i in range(10)],
                        seed=5)
    CloneStrategy().protect(other, clone, now=NOW, full=True)
    point = CloneStrategy().protect(sparse_source, clone, now=NOW, full=True)
    assert point.extra["mode"] == "full"
    assert digest(clone) == digest(sparse_source)
    assert clone.stat().st_size == sparse_source.stat().st_size
    assert _allocated(clone) <= _allocated(sparse_source) + 8 * BLOCK
    assert CloneStrategy().verify(clone).ok


def test_verify_names_the_damaged_range_and_restore_refuses(sparse_source: Path, workspace: Path):
    clone = workspace / "clone.img"
    strategy = CloneStrategy()
    strategy.protect(sparse_source, clone, now=NOW)
    flip(clone, 4 * MiB + 200_000)
    report = strategy.verify(clone)
    assert len(report.damage) == 1
    start = (4 * MiB + 200_000) // BLOCK * BLOCK
    assert f"disk bytes {start}-{start + BLOCK}" in report.damage[0].where
    with pytest.raises(DamageFound):
        strategy.restore(clone, None, workspace / "back.img")
    rescued = strategy.restore(clone, None, workspace / "rescued.img", rescue=True)
    assert len(rescued.holes) == 1


def test_interrupted_refresh_is_reported_and_redone_in_full(sparse_source: Path, workspace: Path):
    clone = workspace / "clone.img"
    strategy = CloneStrategy()
    strategy.protect(sparse_source, clone, now=NOW)
    marker_path(clone).touch()  # what a refresh killed midway leaves
    assert not strategy.verify(clone).ok
    again = strategy.protect(sparse_source, clone, now=NOW)
    assert again.extra["mode"] == "full"
    assert strategy.verify(clone).ok and not marker_path(clone).exists()


def _kill_once_writing(child: subprocess.Popen, clone: Path) -> None:
    """SIGKILL the child as soon as the refresh has started rewriting the clone."""
    written_at = clone.stat().st_mtime_ns
    deadline = time.monotonic() + 60
    while not (marker_path(clone).exists() and clone.stat().st_mtime_ns != written_at):
        assert child.poll() is None, "the refresh finished before it could be killed"
        assert time.monotonic() < deadline, "the refresh never started writing"
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)


def test_refresh_killed_midway_is_reported_then_redone(sparse_source: Path, workspace: Path):
    clone = workspace / "clone.img"
    strategy = CloneStrategy()
    strategy.protect(sparse_source, clone, now=NOW)
    old_clone = digest(clone)
    fd = os.open(sparse_source, os.O_RDWR)
    try:
        for i in range(8):  # every piece changes: eight separate writes for the refresh
            os.pwrite(fd, os.urandom(BLOCK), i * 4 * MiB + 200_000)
    finally:
        os.close(fd)

    child = subprocess.Popen([sys.executable, "-c", SLOW_REFRESH, str(sparse_source), str(clone)], cwd=REPO)
    try:
        _kill_once_writing(child, clone)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert digest(clone) not in (old_clone, digest(sparse_source))  # a mix of two states

    report = strategy.verify(clone)
    assert not report.ok and "interrupted" in report.damage[0].detail
    with pytest.raises(DamageFound, match="interrupted"):
        strategy.restore(clone, None, workspace / "back.img")
    again = strategy.protect(sparse_source, clone, now=NOW)
    assert again.extra["mode"] == "full"
    assert not marker_path(clone).exists() and strategy.verify(clone).ok
    assert digest(clone) == digest(sparse_source)


def test_restore_copies_back_and_checks_size(sparse_source: Path, workspace: Path):
    clone = workspace / "clone.img"
    strategy = CloneStrategy()
    strategy.protect(sparse_source, clone, now=NOW)
    assert strategy.restore(clone, "latest", clone).bytes_written == 0  # swap in: nothing to copy
    small = workspace / "small.img"
    small.write_bytes(bytes(MiB))
    with pytest.raises(UsageError, match="too small"):
        strategy.restore(clone, None, small, force=True)
    report = strategy.restore(clone, None, workspace / "back.img")
    assert digest(workspace / "back.img") == digest(sparse_source)
    assert report.bytes_written <= 8 * MiB + 16 * BLOCK


@pytest.mark.root
def test_clone_of_a_system_disk_is_usable_as_is(workspace: Path):
    from workbench.disk import health
    from workbench.disk.create import create_disk
    from workbench.disk.mounting import mounted

    disk = create_disk("pc.img", "system", 64 * MiB)
    with mounted(disk) as root:
        for i in range(4):
            (root / f"file{i}.bin").write_bytes(os.urandom(2 * MiB))
    clone = workspace / "clones" / "pc.img"
    strategy = CloneStrategy()
    full = strategy.protect(disk, clone, now=NOW)
    assert digest(clone) == digest(disk)
    assert health.check(clone).ok
    with mounted(disk) as root:
        with open(root / "file2.bin", "r+b") as handle:
            handle.seek(MiB)
            handle.write(os.urandom(80 * 1024))  # ~1 % of the used bytes
    refreshed = strategy.protect(disk, clone, now=NOW)
    assert digest(clone) == digest(disk)
    assert refreshed.extra["bytes_written"] < 0.10 * full.extra["bytes_written"]
    with mounted(clone, readonly=True) as root:
        assert (root / "file3.bin").stat().st_size == 2 * MiB
    with mounted(disk):
        with pytest.raises(UsageError, match="mounted"):
            strategy.protect(disk, clone, now=NOW)


def test_a_hash_list_of_another_hash_is_refused_then_rewritten_in_full(sparse_source: Path, workspace: Path):
    """A clone made before the hash changed: verify says how to fix it, and protect makes it anew."""
    from workbench.strategies.clone import _MAGIC, hashes_path, read_record

    clone = workspace / "clone.img"
    strategy = CloneStrategy()
    strategy.protect(sparse_source, clone, now=NOW)
    meta, hashes = read_record(clone)
    del meta["hash"]  # as an older workbench wrote it
    body = json.dumps(meta).encode()
    hashes_path(clone).write_bytes(_MAGIC + struct.pack("<I", len(body)) + body + b"".join(hashes))
    report = strategy.verify(clone)
    assert not report.ok and "clone protect --full" in str(report.damage)
    point = strategy.protect(sparse_source, clone, now=NOW)
    assert point.extra["mode"] == "full"
    assert strategy.verify(clone).ok and digest(clone) == digest(sparse_source)
