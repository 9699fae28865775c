"""A target that fills part-way: one line naming it and its free bytes, exit 3, no half point, earlier points kept.

Each engine that keeps a target folder or image protects into a small ext4 filesystem (a
48 MiB data disk, mounted) filled with ballast to a few MiB free; the second protect brings
more than that. Removing the ballast frees the space, and the next protect succeeds.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workbench.cli.main import main
from workbench.disk.create import create_disk
from workbench.disk.mounting import mounted
from workbench.errors import OperationFailed
from workbench.strategies.backup.engine import BackupStrategy
from workbench.strategies.clone import CloneStrategy
from workbench.strategies.image.engine import ImageStrategy
from workbench.strategies.mirror import make
from workbench.strategies.target_full import free_bytes

pytestmark = pytest.mark.root

DAY0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LEFT_FREE = 4 << 20
GROWTH = 12 << 20


def _tree(workspace: Path) -> tuple[Path, Callable[[], None]]:
    source = workspace / "src"
    (source / "docs").mkdir(parents=True)
    (source / "docs" / "a.txt").write_bytes(os.urandom(20_000))
    return source, lambda: (source / "docs" / "big.bin").write_bytes(os.urandom(GROWTH))


def _disk(workspace: Path) -> tuple[Path, Callable[[], None]]:
    disk = create_disk(workspace / "pc.img", "system", 64 << 20)
    with mounted(disk) as root:
        (root / "a.txt").write_bytes(os.urandom(20_000))

    def grow() -> None:
        with mounted(disk) as root:
            (root / "big.bin").write_bytes(os.urandom(GROWTH))
    return disk, grow


#: engine -> (source maker, engine maker, target name, CLI words before --target)
ENGINES: dict[str, tuple[Callable[[Path], tuple[Path, Callable[[], None]]], Callable[[], object], str, list[str]]] = {
    "image": (_disk, ImageStrategy, "images", ["image", "protect", "--disk"]),
    "clone": (_disk, CloneStrategy, "clone.img", ["clone", "protect", "--disk"]),
    "backup": (_tree, BackupStrategy, "repo", ["backup", "protect", "--source"]),
    "mirror-sync": (_tree, lambda: make("sync"), "mirror", ["mirror", "protect", "--mode", "sync", "--source"]),
    "two-way": (_tree, lambda: make("two-way"), "mirror", ["mirror", "protect", "--mode", "two-way", "--source"]),
}


def _ballast(point: Path) -> Path:
    ballast = point / "ballast"
    with open(ballast, "wb") as out:
        os.posix_fallocate(out.fileno(), 0, free_bytes(point) - LEFT_FREE)
    return ballast


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_a_full_target_fails_in_one_line_and_keeps_what_was_complete(
        name: str, workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_source, make_engine, target_name, words = ENGINES[name]
    source, grow = make_source(workspace)
    engine = make_engine()
    small = create_disk(workspace / "small.img", "data", 48 << 20)
    with mounted(small, "data") as point:
        target = point / target_name
        first = engine.protect(source, target, now=DAY0)  # type: ignore[attr-defined]
        ballast = _ballast(point)
        grow()
        capsys.readouterr()
        code = main([*words, str(source), "--target", str(target), "--now", (DAY0 + timedelta(days=1)).isoformat()])
        err = capsys.readouterr().err
        assert code == 3, err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert f"the target {target} is full" in err and " bytes free" in err
        print(f"{name}: {err.strip()}")
        points = [p.id for p in engine.points(target)]  # type: ignore[attr-defined]
        if name == "mirror-sync":  # one point, rewritten in place: no point listed until a sync completes
            assert points == []
        elif name == "clone":  # one point, rewritten in place: marked interrupted, so it never passes as good
            assert not engine.verify(target).ok  # type: ignore[attr-defined]
        else:  # the earlier point is there and good; nothing half-written is listed
            assert points == [first.id] and engine.verify(target).ok  # type: ignore[attr-defined]
        if name == "image":
            assert not [p for p in target.iterdir() if p.name.endswith(".partial")]
        ballast.unlink()
        again = engine.protect(source, target, now=DAY0 + timedelta(days=2))  # type: ignore[attr-defined]
        assert again.id in [p.id for p in engine.points(target)]  # type: ignore[attr-defined]
        assert engine.verify(target).ok  # type: ignore[attr-defined]


def test_the_error_names_the_bytes_still_to_write_when_progress_counts_them(workspace: Path) -> None:
    from workbench.strategies.target_full import reports_full_target

    @reports_full_target("writing a test point", unit_bytes=lambda _: 1)
    def protect(source: Path, target: Path, *, progress: Callable[[int, int], None] | None = None) -> None:
        assert progress is not None
        progress(300, 1000)
        raise OSError(28, "No space left on device")

    with pytest.raises(OperationFailed, match=r"bytes free, at most 700 bytes still to write, while writing a test"):
        protect(workspace, workspace / "target")
