"""Kill-point matrix: SIGKILL a protect at five points of its progress; nothing complete is lost.

The kill is placed through the progress callback (the bytes, chunks or files done), not by
sleeping: at the first step, at a quarter, half, three quarters, and at the last step, which
falls after the last data write and before the commit (the image's rename, the backup's
snapshot, the clone's hash list, the mirror's record, the two-way sync's state). After each
kill the earlier point verifies (and a backup restores byte-exact), the interrupted point is
absent or flagged, the next run succeeds, and cleanup leaves no loop device or mount of the
workspace. The other operations (forget, prune, restores, import, cleanup, compare) are in
``test_kill_points_ops``.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workbench.disk.cleanup import release_leftovers, workspace_mounts
from workbench.disk.create import create_disk
from workbench.disk.loop import workspace_loops
from workbench.disk.mounting import mounted
from workbench.strategies.backup.engine import BackupStrategy
from workbench.strategies.clone import CloneStrategy
from workbench.strategies.image.engine import ImageStrategy
from workbench.strategies.mirror import make
from workbench.truth.judge import compare
from workbench.truth.manifest import take_manifest

pytestmark = pytest.mark.root

DAY0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FRACTIONS = (0.0, 0.25, 0.5, 0.75, 1.0)
ENGINES = {"backup": BackupStrategy, "image": ImageStrategy, "clone": CloneStrategy,
           "clone-refresh": CloneStrategy, "mirror-sync": lambda: make("sync"),
           "mirror-two-way": lambda: make("two-way")}
#: The killed run of "clone" copies the whole disk again; "clone-refresh" writes the changed blocks only.
FULL = {"clone": {"full": True}}
KILLED = """
import os, signal, sys
from datetime import datetime
from pathlib import Path
from tests.test_kill_points import ENGINES, FULL
name, source, target, fraction, now = sys.argv[1:]
def kill_at(done, total):
    if done >= float(fraction) * total:
        print(f"{done}/{total}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
ENGINES[name]().protect(Path(source), Path(target), now=datetime.fromisoformat(now), progress=kill_at,
                        **FULL.get(name, {}))
"""
TABLE: list[str] = []


def _fill(root: Path, seed: int) -> None:
    for n in range(12):
        folder = root / f"d{n % 3}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{seed}-{n}.bin").write_bytes(os.urandom(256 << 10))


def _restored(engine: ImageStrategy, target: Path, point_id: str, disk: Path) -> str:
    """The sha256 of the disk a point restores to."""
    engine.restore(target, point_id, disk)
    digest = hashlib.sha256()
    with open(disk, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    disk.unlink()
    return digest.hexdigest()


@pytest.fixture(scope="module", autouse=True)
def print_table() -> Iterator[None]:
    yield
    print("\noperation x kill point (done/total where it died) -> points before, after, committed points lost "
          "(a clone or a mirror-sync is rewritten in place: its one point is flagged, never passed off), verify, "
          "next run")
    print("\n".join(TABLE))


@pytest.mark.parametrize("fraction", FRACTIONS)
@pytest.mark.parametrize("name", sorted(ENGINES))
def test_a_killed_protect_loses_no_complete_point(name: str, fraction: float, workspace: Path, tmp_path: Path) -> None:
    engine = ENGINES[name]()
    disk_engine = name in ("image", "clone", "clone-refresh")
    if disk_engine:
        source = create_disk(workspace / "pc.img", "system", 64 << 20)
        with mounted(source) as root:
            _fill(root, 0)
    else:
        source = workspace / "src"
        source.mkdir()
        _fill(source, 0)
    manifest = None if disk_engine else take_manifest(source)
    target = workspace / ("clone.img" if name.startswith("clone") else "target")
    first = engine.protect(source, target, now=DAY0)  # type: ignore[attr-defined]
    if disk_engine:
        with mounted(source) as root:
            _fill(root, 1)
    else:
        _fill(source, 1)
    before = [p.id for p in engine.points(target)]  # type: ignore[attr-defined]
    restored_before = _restored(engine, target, first.id, workspace / "before.img") if name == "image" else ""
    child = subprocess.run([sys.executable, "-c", KILLED, name, str(source), str(target), str(fraction),
                            (DAY0 + timedelta(days=1)).isoformat()], cwd=Path(__file__).parent.parent, check=False,
                           capture_output=True, text=True)
    assert child.returncode == -signal.SIGKILL, child.stderr
    where = child.stdout.split()[-1]
    after = [p.id for p in engine.points(target)]  # type: ignore[attr-defined]
    in_place = name.startswith("clone") or name == "mirror-sync"
    lost = "in place" if in_place else str(len(set(before) - set(after)))
    verified = engine.verify(target).ok  # type: ignore[attr-defined]
    if name in ("backup", "image", "mirror-two-way"):  # the earlier point is kept and good; the killed one absent
        assert after == before and verified
        if name == "backup":
            engine.restore(target, first.id, tmp_path / "out")  # type: ignore[attr-defined]
            assert manifest is not None and compare(manifest, tmp_path / "out", ignore=set()).ok
        if name == "image":
            assert _restored(engine, target, first.id, workspace / "after.img") == restored_before
    elif name == "mirror-sync":  # rewritten in place: no point passes as complete
        assert after == []
    else:  # the clone, rewritten in place: flagged, it never verifies
        assert not verified
    release_leftovers()
    assert not workspace_loops() and not workspace_mounts()
    again = engine.protect(source, target, now=DAY0 + timedelta(days=2))  # type: ignore[attr-defined]
    assert engine.verify(target).ok  # type: ignore[attr-defined]
    TABLE.append(f"{name:14} kill at {fraction:4.0%} ({where:>9}): {len(before)} -> {len(after)}, lost {lost}, "
                 f"verify {verified}, next run {again.id} ok")
