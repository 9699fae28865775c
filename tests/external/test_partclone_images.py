"""partclone's images under damage: target corruption flips bits in the image bodies, and verify names what it hit."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench import proc
from workbench.disk.mounting import mounted
from workbench.errors import DamageFound
from workbench.experiment.registry import make_protection
from workbench.faults import kinds
from workbench.strategies.external.partclone import IMAGES, PartcloneImage


@pytest.fixture
def protected(system_disk: Path, workspace: Path) -> tuple[PartcloneImage, Path, list[str]]:
    """Two points of a small system disk with a few MiB of files."""
    target = workspace / "images"
    engine = PartcloneImage(scratch=workspace / "scratch")
    points = []
    for day in (5, 6):
        with mounted(system_disk) as root:
            folder = root / "home" / "alice"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"day{day}.bin").write_bytes(os.urandom(3 << 20))
        points.append(engine.protect(system_disk, target, now=datetime(2026, 1, day, 1, tzinfo=UTC)).id)
    return engine, target, points


@pytest.mark.root
def test_chkimg_names_each_damaged_image_and_its_point(protected, workspace: Path) -> None:
    engine, target, points = protected
    clean = engine.verify(target)
    assert clean.damage == [] and clean.checked == 8, "two areas and two images per point, all sound"
    protection = make_protection("image/partclone", target=target, scratch=workspace / "scratch")
    assert protection.target_paths() == [target / IMAGES], "corruption strikes the image bodies only"
    records = kinds.strike("target-corruption", None, options={"count": 8}, seed=3, at=None, folders=(),
                           targets=protection.target_paths())
    flipped = {Path(bit.path) for record in records for bit in record.bits}
    assert flipped and all(path.is_relative_to(target / IMAGES) for path in flipped)
    report = engine.verify(target)
    named = {target / IMAGES / damage.where: damage for damage in report.damage}
    assert set(named) == flipped, "every image hit is reported, and no other"
    for path, damage in named.items():
        assert damage.what == "image" and damage.affects == (path.parent.name,), "the point that holds the image"
        assert damage.affects[0] in points and damage.detail
    damaged_point = next(iter(named.values())).affects[0]
    with pytest.raises(DamageFound, match=rf"point {damaged_point} cannot be restored exactly: .*pcl\.zst"):
        engine.restore(target, damaged_point, workspace / "restored.img")


def test_a_killed_run_takes_both_tools_of_its_pipe_with_it(tmp_path: Path) -> None:
    """The crash fault kills a protect run's process group: a pipe's tools are in it (none starts a session)."""
    script = ("from workbench import proc; proc.pipe(['sleep', '60'], ['sleep', '61'], check=False)")
    with open(tmp_path / "errors", "wb") as errors:
        child = proc.spawn([sys.executable, "-c", script], stderr=errors)
        try:
            deadline = time.monotonic() + 20
            while len(_group(child.pid)) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            members = _group(child.pid)
            assert len(members) == 3, "python and both sleeps share the run's group"
            assert proc.kill_group(child)
        finally:
            child.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in members) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in members)


def _group(pgid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
