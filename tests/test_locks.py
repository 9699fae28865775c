"""One writer per target: every kind of target (ours and the real tools') refuses a second writer, naming it,
and a killed holder frees it."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench.disk import locks
from workbench.disk.cleanup import release_leftovers
from workbench.disk.create import create_disk
from workbench.disk.mounting import mounted
from workbench.strategies.backup.engine import BackupStrategy
from workbench.strategies.clone import CloneStrategy
from workbench.strategies.image.engine import ImageStrategy
from workbench.strategies.mirror import make

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
HOLD = ("import sys; from pathlib import Path; from workbench.disk import locks\n"
        "with locks.held(Path(sys.argv[1]), 'test'):\n"
        "    print('ready', flush=True); sys.stdin.read()")


def _tree(workspace: Path) -> Path:
    source = workspace / "src"
    (source / "docs").mkdir(parents=True)
    (source / "docs" / "a.txt").write_bytes(os.urandom(5000))
    return source


def _disk(workspace: Path) -> Path:
    disk = create_disk(workspace / "pc.img", "system", 64 << 20)
    with mounted(disk) as root:
        (root / "a.txt").write_bytes(os.urandom(5000))
    return disk


def _tool(engine: str) -> Callable[[], object]:
    """A real tool's engine (``workbench.strategies.external.ENGINE``), its state kept in the workspace."""
    module = importlib.import_module(f"workbench.strategies.external.{engine}")
    return lambda: module.make("", state=Path(os.environ["WORKBENCH_HOME"]) / "state")


#: kind -> (source maker, engine maker, target name)
KINDS: dict[str, tuple[Callable[[Path], Path], Callable[[], object], str]] = {
    "image": (_disk, ImageStrategy, "images"),
    "clone": (_disk, CloneStrategy, "clone.img"),
    "backup": (_tree, BackupStrategy, "repo"),
    "mirror-sync": (_tree, lambda: make("sync"), "mirror"),
    "two-way": (_tree, lambda: make("two-way"), "mirror"),
    "raid1": (_tree, lambda: make("raid1", half_bytes=128 << 20), "pair"),
    "backup/restic": (_tree, _tool("restic"), "repo"),
    "backup/borg": (_tree, _tool("borg"), "repo"),
    "backup/rsnapshot": (_tree, _tool("rsnapshot"), "snapshots"),
    "mirror-sync/rsync": (_tree, _tool("rsync"), "mirror"),
    "mirror-two-way/unison": (_tree, _tool("unison"), "mirror"),
    "image/partclone": (_disk, _tool("partclone"), "images"),
}


@pytest.fixture
def holder_of() -> Iterator[Callable[[Path], subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start(target: Path) -> subprocess.Popen[str]:
        child = subprocess.Popen([sys.executable, "-c", HOLD, str(target)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        started.append(child)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        return child

    yield start
    for child in started:
        child.kill()
        child.wait()


@pytest.mark.root
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_second_writer_refuses_naming_the_holder_and_a_killed_holder_frees_the_target(
        kind: str, workspace: Path, holder_of: Callable[[Path], subprocess.Popen[str]]) -> None:
    make_source, make_engine, name = KINDS[kind]
    source, engine, target = make_source(workspace), make_engine(), workspace / name
    holder = holder_of(target)
    with pytest.raises(locks.TargetBusy) as refused:
        engine.protect(source, target, now=NOW)  # type: ignore[attr-defined]
    message = str(refused.value)
    assert f"pid {holder.pid}" in message and str(target) in message and "\n" not in message
    assert not target.exists() or engine.points(target) == []  # type: ignore[attr-defined]  # nothing was written
    holder.kill()  # SIGKILL: no finally block runs, the kernel drops the flock
    holder.wait()
    point = engine.protect(source, target, now=NOW)  # type: ignore[attr-defined]
    assert [p.id for p in engine.points(target)] == [point.id]  # type: ignore[attr-defined]


def test_one_process_cannot_take_one_target_twice_and_another_target_is_free(workspace: Path) -> None:
    with locks.held(workspace / "a", "mirror"):
        with pytest.raises(locks.TargetBusy, match=f"pid {os.getpid()}"):
            with locks.held(workspace / "a", "mirror"):
                pass
        with locks.held(workspace / "b", "mirror"):
            pass
    with locks.held(workspace / "a", "mirror"):  # released on the way out
        pass


@pytest.mark.root
def test_cleanup_keeps_a_live_holders_lock_and_removes_a_dead_ones(
        workspace: Path, holder_of: Callable[[Path], subprocess.Popen[str]]) -> None:
    live, dead = workspace / "live-mirror", workspace / "dead-mirror"
    holder_of(live)
    killed = holder_of(dead)
    killed.kill()
    killed.wait()
    release_leftovers()
    assert locks.live_targets() == {live}
    assert locks.lock_file(live).exists() and not locks.lock_file(dead).exists()
    with pytest.raises(locks.TargetBusy):
        with locks.held(live, "mirror"):
            pass
