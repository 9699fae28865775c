"""SIGKILL in the middle of a protect: earlier points are untouched, the half-written one is ignored."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from image_helpers import MiB, churn, fill

from workbench.disk.create import create_disk
from workbench.strategies.image import ImageStrategy
from workbench.strategies.image.store import partial_paths

pytestmark = pytest.mark.root
NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from datetime import datetime, timezone
from pathlib import Path
from workbench.strategies.image import ImageStrategy
# level 19 on one thread: slow enough to be killed midway
ImageStrategy(level=19, workers=1, incremental=False).protect(
    Path(sys.argv[1]), Path(sys.argv[2]), now=datetime.now(timezone.utc))
"""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_killed_protect_leaves_earlier_points_intact(workspace: Path):
    disk = create_disk("pc.img", "system", 96 * MiB)
    fill(disk, random_mib=16)
    target = workspace / "images"
    strategy = ImageStrategy()
    first = strategy.protect(disk, target, now=NOW)
    first_file = target / f"{first.id}.wbimg"
    before = _digest(first_file)
    churn(disk)

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(disk), str(target)], cwd=REPO,
                             env={**os.environ, "WORKBENCH_HOME": str(workspace)})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            partial = partial_paths(target)
            if partial and partial[0].stat().st_size > 2 * MiB:
                break
            assert child.poll() is None, "the protect finished before it could be killed"
            time.sleep(0.02)
        else:
            pytest.fail("the protect never got going")
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    assert partial_paths(target)  # the half-written point is there...
    assert [p.id for p in strategy.points(target)] == [first.id]  # ...but never listed
    assert _digest(first_file) == before
    assert strategy.verify(target).ok

    second = strategy.protect(disk, target, now=NOW)
    assert second.extra["removed_partial_points"]
    assert not partial_paths(target)
    assert [p.id for p in strategy.points(target)] == [first.id, second.id]
    assert strategy.verify(target).ok
