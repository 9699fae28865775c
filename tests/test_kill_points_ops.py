"""The kill-point matrix, continued: forget, prune, restores onto a disk, import, cleanup and compare.

Each operation is SIGKILLed at five points of its own progress (the ``progress(done, total)``
callback: points deleted, prune steps, chunks or files written, bytes copied, things released,
result files landed), never by sleeping. The child prints where it died. After each kill:
the points that must survive are there, verify and restore byte-exact; the interrupted one
is absent or complete; cleanup leaves no loop device, mount or FUSE server; and the next run
of the same operation succeeds (a restore then gives a byte-exact disk, a compare resumes).

What each is prepared from is built once per module and copied into each test's workspace.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.test_kill_points import DAY0, FRACTIONS, _fill
from workbench.commands.cleanup import cleanup
from workbench.commands.common import tree_destination
from workbench.disk.cleanup import release_leftovers, workspace_mounts
from workbench.disk.create import create_disk, import_disk
from workbench.disk.loop import workspace_loops
from workbench.disk.mounting import mounted
from workbench.disk.served import fuse_mounts, leftover_places
from workbench.strategies.backup.engine import BackupStrategy
from workbench.strategies.backup.retention import KeepPolicy
from workbench.strategies.image.engine import ImageStrategy
from workbench.truth.judge import compare
from workbench.truth.manifest import Manifest, take_manifest

pytestmark = pytest.mark.root

Progress = Callable[[int, int], None] | None
KILLED = """
import os, signal, sys
from pathlib import Path
from tests.test_kill_points_ops import OPERATIONS
name, case, fraction = sys.argv[1:]
def kill_at(done, total):
    if done >= float(fraction) * total:
        print(f"{done}/{total}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
OPERATIONS[name].run(Path(case), kill_at)
"""
#: Mounts two disks and serves a third (a FUSE server of its own) with its filesystem mounted, then dies.
LEFTOVERS = """
import json, os, signal, sys
from contextlib import ExitStack
from pathlib import Path
from workbench.disk.mounting import mounted
from workbench.disk.served import served
case = Path(sys.argv[1])
with ExitStack() as stack:
    for name in ("a.img", "b.img"):
        stack.enter_context(mounted(case / name))
    disk = stack.enter_context(served(case / "s.img"))
    stack.enter_context(mounted(disk))
    print(json.loads((disk.parent.parent / "server.json").read_text())["pid"], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""
TABLE: list[str] = []
MANIFESTS: dict[str, Manifest] = {}  # the tree each backup snapshot holds, by its id (the module fixture fills it)


def sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _copy(source: Path, destination: Path) -> None:
    """Keeping holes: a 64 MiB disk stays a few MiB."""
    subprocess.run(["cp", "-a", "--sparse=always", str(source), str(destination)], check=True)


def _process_gone(pid: int) -> bool:
    try:
        return "State:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True


class Operation:
    """One operation of the matrix on a case folder (a copy of what it is prepared from)."""

    def prepare(self, case: Path, source: Path) -> None:
        """Fill ``case`` once per module; ``source`` is a 64 MiB system disk holding files."""

    def run(self, case: Path, progress: Progress) -> None:
        raise NotImplementedError

    def points(self, case: Path) -> list[str]:
        """The restore points (or finished results) the case holds."""
        return []

    def must_keep(self, before: list[str]) -> list[str]:
        """The points complete before the kill that the operation must not lose."""
        return before

    def sound(self, case: Path) -> bool:
        """The target verifies and the kept points restore byte-exact (asserted inside where exactness fails)."""
        return True

    def finished(self, case: Path) -> None:
        """Asserts what a complete run leaves."""


class ImageForget(Operation):
    def prepare(self, case: Path, source: Path) -> None:
        engine = ImageStrategy()
        for day in range(6):
            engine.protect(source, case / "target", now=DAY0 + timedelta(days=day), full=True)
        newest = engine.points(case / "target")[-1].id
        engine.restore(case / "target", newest, case / "reference.img")
        (case / "reference.sha").write_text(sha(case / "reference.img"))
        (case / "reference.img").unlink()

    def run(self, case: Path, progress: Progress) -> None:
        ImageStrategy().keep_last(case / "target", 1, progress)

    def points(self, case: Path) -> list[str]:
        return [p.id for p in ImageStrategy().points(case / "target")]

    def must_keep(self, before: list[str]) -> list[str]:
        return before[-1:]

    def sound(self, case: Path) -> bool:
        """Every point left restores the disk's bytes (all were taken of the same disk)."""
        engine = ImageStrategy()
        for point_id in self.points(case):
            engine.restore(case / "target", point_id, case / "restored.img", force=True)
            assert sha(case / "restored.img") == (case / "reference.sha").read_text()
        return engine.verify(case / "target").ok

    def finished(self, case: Path) -> None:
        assert len(self.points(case)) == 1


class ImageRestore(Operation):
    def prepare(self, case: Path, source: Path) -> None:
        ImageStrategy().protect(source, case / "target", now=DAY0)
        ImageStrategy().restore(case / "target", "latest", case / "reference.img")
        (case / "reference.sha").write_text(sha(case / "reference.img"))
        (case / "reference.img").rename(case / "disk.img")  # the disk restored onto: it holds the data already

    def run(self, case: Path, progress: Progress) -> None:
        ImageStrategy().restore(case / "target", "latest", case / "disk.img", force=True, progress=progress)

    def points(self, case: Path) -> list[str]:
        return [p.id for p in ImageStrategy().points(case / "target")]

    def sound(self, case: Path) -> bool:
        return ImageStrategy().verify(case / "target").ok

    def finished(self, case: Path) -> None:
        assert sha(case / "disk.img") == (case / "reference.sha").read_text()


class Backup(Operation):
    """A repository of six snapshots, each after two of the twelve files were rewritten."""

    keep_only_newest = False

    def prepare(self, case: Path, source: Path) -> None:
        tree = case / "src"
        tree.mkdir()
        _fill(tree, 0)
        files = sorted(p for p in tree.rglob("*.bin"))
        engine = BackupStrategy()
        for day in range(6):
            if day:
                for path in files[2 * day - 2:2 * day]:
                    path.write_bytes(os.urandom(256 << 10))
            point = engine.protect(tree, case / "repo", now=DAY0 + timedelta(days=day))
            MANIFESTS[point.id] = take_manifest(tree)
        if self.keep_only_newest:
            engine.forget(case / "repo", KeepPolicy(last=1))

    def points(self, case: Path) -> list[str]:
        return [p.id for p in BackupStrategy().points(case / "repo")]

    def must_keep(self, before: list[str]) -> list[str]:
        return before[-1:]

    def sound(self, case: Path) -> bool:
        """Every snapshot left restores the tree it was taken of."""
        engine = BackupStrategy()
        for point_id in self.points(case):
            out = case / f"restored-{len(list(case.glob('restored-*')))}"
            engine.restore(case / "repo", point_id, out)
            assert compare(MANIFESTS[point_id], out, ignore=set()).ok
        return engine.verify(case / "repo").ok


class BackupForget(Backup):
    def run(self, case: Path, progress: Progress) -> None:
        BackupStrategy().forget(case / "repo", KeepPolicy(last=1), progress)

    def finished(self, case: Path) -> None:
        assert len(self.points(case)) == 1


class BackupPrune(Backup):
    """The first step copies the still-used chunks of the first snapshot's pack: data before its index."""

    keep_only_newest = True

    def run(self, case: Path, progress: Progress) -> None:
        BackupStrategy().prune(case / "repo", progress)

    def finished(self, case: Path) -> None:
        assert BackupStrategy().prune(case / "repo").packs_deleted == 0  # nothing left to prune
        assert self.sound(case)


class BackupRestoreDisk(Backup):
    def prepare(self, case: Path, source: Path) -> None:
        super().prepare(case, source)
        create_disk(case / "disk.img", "system", 64 << 20)

    def run(self, case: Path, progress: Progress) -> None:
        with tree_destination(to=None, to_disk=case / "disk.img", force=True) as root:
            BackupStrategy().restore(case / "repo", "latest", root, force=True, progress=progress)

    def sound(self, case: Path) -> bool:
        return BackupStrategy().verify(case / "repo").ok

    def finished(self, case: Path) -> None:
        with mounted(case / "disk.img", readonly=True) as root:
            assert compare(MANIFESTS[self.points(case)[-1]], root, ignore=set()).ok


class DiskImport(Operation):
    """The imported disk is the point: absent or whole after a kill, never a half-copied disk."""

    def prepare(self, case: Path, source: Path) -> None:
        (case / "source.sha").write_text(sha(source))
        (case / "source.path").write_text(str(source))  # outside the test's workspace, as a user's disk is

    def run(self, case: Path, progress: Progress) -> None:
        import_disk((case / "source.path").read_text(), case / "imported.img", progress=progress)

    def points(self, case: Path) -> list[str]:
        return ["imported.img"] if (case / "imported.img").exists() else []

    def sound(self, case: Path) -> bool:
        return not self.points(case) or sha(case / "imported.img") == (case / "source.sha").read_text()

    def finished(self, case: Path) -> None:
        assert sha(case / "imported.img") == (case / "source.sha").read_text()
        assert sha(Path((case / "source.path").read_text())) == (case / "source.sha").read_text()  # only read


class Cleanup(Operation):
    """``workbench cleanup`` itself, killed while it releases what a dead run left: 3 mounts, 3 loops, a server."""

    def prepare(self, case: Path, source: Path) -> None:
        for name in ("a.img", "b.img", "s.img"):
            _copy(source, case / name)

    def run(self, case: Path, progress: Progress) -> None:
        if progress is None:
            cleanup()
        else:
            release_leftovers(progress=progress)

    def finished(self, case: Path) -> None:
        for name in ("a.img", "b.img", "s.img"):  # the disks themselves are untouched
            with mounted(case / name, readonly=True) as root:
                assert len(list(root.rglob("*.bin"))) == 24


class Compare(Operation):
    """Two cells; a point is a finished row. ``progress`` is called before each result file lands (the cell's
    details, then its row: the commit) and once after the last row, before the run is stamped finished."""

    REPEAT = 2

    def __init__(self) -> None:
        self.landed: dict[str, int] = {}  # the rows found after the kill, by their mtimes

    def run(self, case: Path, progress: Progress) -> None:
        from workbench.commands import compare as compare_command
        from workbench.experiment import matrix

        files = 2 * self.REPEAT
        landed = [0]
        write = matrix.write_atomic

        def landing(path: Path, data: bytes, **options: object) -> Path:
            if progress is not None and path.parent.name in ("cells", "rows"):
                progress(landed[0], files)
                landed[0] += 1
            return write(path, data, **options)  # type: ignore[arg-type]

        def each(done: int, total: int, _result: object) -> None:
            if progress is not None and done == total:
                progress(files, files)

        matrix.write_atomic = landing  # type: ignore[assignment]
        try:  # an out the killed run made is resumed
            compare_command.compare(out=case / "out", strategies="none", scenarios="deletion", data_size="4M",
                                    repeat=self.REPEAT, report=False, quiet=True, resume=(case / "out").exists(),
                                    on_cell=each)
        finally:
            matrix.write_atomic = write

    def points(self, case: Path) -> list[str]:
        rows = case / "out" / "cells" / "rows"
        return sorted(p.stem for p in rows.glob("*.json")) if rows.is_dir() else []

    def sound(self, case: Path) -> bool:
        """Every row that landed is whole and ok; remembered, so the resume can be seen to leave them be."""
        rows = sorted((case / "out" / "cells" / "rows").glob("*.json"))
        self.landed = {p.name: p.stat().st_mtime_ns for p in rows}
        return all(json.loads(p.read_text())["status"] == "ok" for p in rows)

    def finished(self, case: Path) -> None:
        rows = case / "out" / "cells" / "rows"
        assert {name: (rows / name).stat().st_mtime_ns for name in self.landed} == self.landed
        assert len(self.points(case)) == 2 and self.sound(case)
        assert json.loads((case / "out" / "run.json").read_text())["finished"]


OPERATIONS: dict[str, Operation] = {
    "image forget": ImageForget(), "image restore onto a disk": ImageRestore(), "backup forget": BackupForget(),
    "backup prune": BackupPrune(), "backup restore onto a disk": BackupRestoreDisk(), "disk import": DiskImport(),
    "cleanup": Cleanup(), "compare": Compare(),
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder per operation, filled once, under a workspace of the module's own."""
    home = tmp_path_factory.mktemp("kill-ops") / "ws"
    home.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_HOME", str(home))
        source = create_disk(home / "source.img", "system", 64 << 20)
        with mounted(source) as root:
            _fill(root, 0)
            _fill(root, 1)
        for name, operation in OPERATIONS.items():
            case = home / "cases" / name.replace(" ", "-")
            case.mkdir(parents=True)
            operation.prepare(case, source)
        yield home
    print("\noperation x kill point (done/total where it died) -> points before, after, committed lost, "
          "sound after the kill, next run")
    print("\n".join(TABLE))


@pytest.mark.parametrize("fraction", FRACTIONS)
@pytest.mark.parametrize("name", list(OPERATIONS))
def test_a_killed_operation_loses_no_committed_point(name: str, fraction: float, prepared: Path,
                                                     workspace: Path) -> None:
    case = workspace / "cases" / name.replace(" ", "-")
    case.parent.mkdir()
    _copy(prepared / "cases" / case.name, case)
    try:
        _kill_and_rerun(name, fraction, case)
    finally:  # a failed assertion leaves no mount or server behind either
        release_leftovers()


def _kill_and_rerun(name: str, fraction: float, case: Path) -> None:
    operation = OPERATIONS[name]
    server = None
    if isinstance(operation, Cleanup):
        made = subprocess.run([sys.executable, "-c", LEFTOVERS, str(case)], capture_output=True, text=True,
                              check=False)
        assert made.returncode == -signal.SIGKILL, made.stderr
        server = int(made.stdout.split()[0])
        assert len(workspace_loops()) == 3 and fuse_mounts() and not _process_gone(server)
    before = operation.points(case)
    child = subprocess.run([sys.executable, "-c", KILLED, name, str(case), str(fraction)],
                           cwd=Path(__file__).parent.parent, capture_output=True, text=True, check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr
    where = child.stdout.split()[-1]
    after = operation.points(case)
    lost = [point for point in operation.must_keep(before) if point not in after]
    assert not lost
    assert set(after) <= set(before) or isinstance(operation, Compare | DiskImport)
    sound = operation.sound(case)
    assert sound
    if not isinstance(operation, Cleanup):
        release_leftovers()
    operation.run(case, None)  # the next run of the same operation
    operation.finished(case)
    assert not workspace_loops() and not workspace_mounts() and not fuse_mounts() and not leftover_places()
    if server is not None:
        assert _process_gone(server)
    TABLE.append(f"{name:27} kill at {fraction:4.0%} ({where:>17}): {len(before)} -> {len(after)}, "
                 f"lost {len(lost)}, sound {sound}, next run ok")
