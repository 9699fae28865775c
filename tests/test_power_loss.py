"""Power loss, not only process death: a protect cut off with its page cache lost loses no committed point.

The target lives on a small ext4 disk attached with direct I/O (``loop.attach(direct_io=True)``),
so the disk image holds only what reached the device. At a kill point, placed through the
progress callback as in ``tests/test_kill_points.py``, the protect SIGKILLs itself; before
anything syncs, the image is copied (``disk.power_cut.copy_as_on_device``): the copy is the disk
a power cut at that moment would leave, without the filesystem's dirty pages. The copy is then
recovered as a boot would (journal replay and e2fsck) and mounted, and there: every point
committed before the cut still verifies and restores exactly, the interrupted point is absent
or verifies, and the next protect succeeds.

What it models: the lost page cache. Not modelled: writes reordered or torn below the
filesystem, or a drive that acknowledges a flush it has not done (the loop device writes in
order and at once). Image points are durable only with ``sync`` (``--sync``), so the image
engine runs with it; the backup repository always fsyncs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.test_kill_points import DAY0, _fill
from workbench.disk.create import create_disk
from workbench.disk.loop import workspace_loops
from workbench.disk.mounting import mounted
from workbench.disk.power_cut import copy_as_on_device, recover
from workbench.durable import fsync_dir
from workbench.errors import UsageError
from workbench.strategies.backup.engine import BackupStrategy
from workbench.strategies.image.engine import ImageStrategy
from workbench.strategies.image.format import SUFFIX
from workbench.truth.judge import compare
from workbench.truth.manifest import Manifest, take_manifest

pytestmark = pytest.mark.root

#: Where the cut falls: a fraction of the progress steps (1.0 is the last step, after the last data
#: write and before the commit), or ``commit``: just after the rename that commits the point and
#: before the folder's fsync makes that rename durable, where a power cut differs from a SIGKILL.
POINTS = ("0.0", "0.25", "0.5", "0.75", "1.0", "commit")
ENGINES: dict[str, Callable[[], Any]] = {"backup": BackupStrategy, "image": lambda: ImageStrategy(sync=True)}
#: The rename that commits a point, by its destination: a snapshot file, or an image point file.
COMMITS: dict[str, Callable[[Path], bool]] = {
    "backup": lambda destination: destination.parent.name == "snapshots",
    "image": lambda destination: destination.name.endswith(SUFFIX) and not destination.name.startswith("."),
}
CUT = """
import os, signal, sys
from datetime import datetime
from pathlib import Path
from tests.test_power_loss import COMMITS, ENGINES
name, source, target, where, now = sys.argv[1:]
def cut_at(done, total):
    if where != "commit" and done >= float(where) * total:
        os.kill(os.getpid(), signal.SIGKILL)
renamed = os.rename
def rename_then_cut(src, dst, *args, **kwargs):
    renamed(src, dst, *args, **kwargs)
    if where == "commit" and COMMITS[name](Path(dst)):
        os.kill(os.getpid(), signal.SIGKILL)
os.rename = rename_then_cut
ENGINES[name]().protect(Path(source), Path(target), now=datetime.fromisoformat(now), progress=cut_at)
"""
TABLE: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def print_table() -> Iterator[None]:
    yield
    print("\npower cut: operation x kill point -> points before, points on the cut disk, e2fsck exit, verify, "
          "committed points lost, next run")
    print("\n".join(TABLE))


def _source(name: str, workspace: Path, seed: int, source: Path | None = None) -> tuple[Path, Manifest]:
    """The source (a folder for backup, a system disk for image), filled with ``seed``; its manifest."""
    if name == "backup":
        source = source or workspace / "src"
        source.mkdir(exist_ok=True)
        _fill(source, seed)
        return source, take_manifest(source)
    source = source or create_disk(workspace / "pc.img", "system", 64 << 20)
    with mounted(source) as root:
        _fill(root, seed)
        return source, take_manifest(root)


def _restores_exactly(name: str, engine: Any, target: Path, point_id: str, manifest: Manifest, out: Path) -> bool:
    engine.restore(target, point_id, out)
    if name == "backup":
        return compare(manifest, out, ignore=set()).ok
    with mounted(out, readonly=True) as root:
        return compare(manifest, root, ignore=set()).ok


@pytest.mark.timeout(600)
@pytest.mark.parametrize("where", POINTS)
@pytest.mark.parametrize("name", sorted(ENGINES))
def test_a_power_cut_loses_no_committed_point(name: str, where: str, workspace: Path) -> None:
    engine = ENGINES[name]()
    disk = create_disk(workspace / "target.img", "data", 64 << 20)
    source, first_manifest = _source(name, workspace, 0)
    with mounted(disk, "data", direct_io=True) as point:
        first = engine.protect(source, point / "target", now=DAY0)
        before = [p.id for p in engine.points(point / "target")]
        _source(name, workspace, 1, source)
        child = subprocess.run([sys.executable, "-c", CUT, name, str(source), str(point / "target"), where,
                                (DAY0 + timedelta(days=1)).isoformat()], cwd=Path(__file__).parent.parent,
                               check=False, capture_output=True, text=True)
        assert child.returncode == -signal.SIGKILL, child.stderr
        cut = copy_as_on_device(disk, workspace / "cut.img")  # before anything syncs: the cache is lost
    fsck_exit, clean = recover(cut)
    assert clean, f"e2fsck exit {fsck_exit}"
    with mounted(cut, "data") as point:
        target = point / "target"
        after = [p.id for p in engine.points(target)]
        verified = engine.verify(target).ok
        lost = [p for p in before if p not in after]
        assert not lost, f"committed points lost to the power cut: {lost}"
        assert after in (before, [*before, after[-1]]), (before, after)  # the cut point: absent, or whole
        assert verified
        assert _restores_exactly(name, engine, target, first.id, first_manifest, workspace / "restored")
        again = engine.protect(source, target, now=DAY0 + timedelta(days=2))
        assert engine.verify(target).ok and again.id in [p.id for p in engine.points(target)]
    assert not workspace_loops()
    TABLE.append(f"{name:7} cut at {where:>6}: {len(before)} -> {len(after)}, e2fsck exit {fsck_exit}, "
                 f"verify {verified}, {len(lost)} lost, next run {again.id} ok")


def test_the_cut_copy_keeps_what_was_fsynced_and_loses_the_page_cache(workspace: Path) -> None:
    """The control: the model really drops unsynced writes (else the test above would prove nothing)."""
    disk = create_disk(workspace / "target.img", "data", 48 << 20)
    with mounted(disk, "data", direct_io=True) as point:
        durable = point / "synced.bin"
        with open(durable, "wb") as out:
            out.write(b"s" * (1 << 20))
            out.flush()
            os.fsync(out.fileno())
        fsync_dir(point)
        (point / "cached.bin").write_bytes(b"c" * (1 << 20))  # only in the page cache
        cut = copy_as_on_device(disk, workspace / "cut.img")
        with pytest.raises(UsageError, match="not attached with direct I/O"):
            copy_as_on_device(cut, workspace / "cut2.img")
    assert recover(cut)[1]
    with mounted(cut, "data", readonly=True) as point:
        assert (point / "synced.bin").read_bytes() == b"s" * (1 << 20)
        cached = point / "cached.bin"
        assert not cached.exists() or cached.read_bytes() != b"c" * (1 << 20)
