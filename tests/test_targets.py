"""Targets (``PATH`` or ``DATA.img:/folder``) and the Strategy protocol engines must fit."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench import proc
from workbench.cli.main import main
from workbench.disk.targets import check_destination, split_spec
from workbench.errors import UsageError
from workbench.experiment.protection import DiskProtection
from workbench.experiment.registry import STRATEGIES, make_protection
from workbench.strategies.base import (
    DiskStrategy,
    ProgressCallback,
    RestorePoint,
    RestoreReport,
    Strategy,
    VerifyReport,
    misfits,
)
from workbench.strategies.mirror.strategies import MirrorSync

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# -- the target spec (pure) ---------------------------------------------------------------------

@pytest.mark.parametrize("spec,expected", [
    ("images/pc", ("images/pc", None)),  # a workspace directory
    ("clones/pc.img", ("clones/pc.img", None)),  # an image file is a plain path
    ("data.img:/images", ("data.img", "/images")),
    ("usb.img:backups/2026", ("usb.img", "/backups/2026")),  # the leading slash is optional
    ("usb.img:", ("usb.img", "/")),  # the data disk's top
    ("disks/usb.img://a/./b/", ("disks/usb.img", "/a/b")),
    ("notes:2026", ("notes:2026", None)),  # a colon that follows no .img is part of the path
    ("backup.imgs:/x", ("backup.imgs:/x", None)),
])
def test_split_spec(spec: str, expected: tuple[str, str | None]) -> None:
    assert split_spec(spec) == expected


@pytest.mark.parametrize("spec,message", [
    ("", "the target is empty"),
    (".img:/images", "names no disk image"),
    ("disks/.img:/images", "names no disk image"),
    ("usb.img:/../etc", "must stay inside the data disk"),
    ("usb.img:/a/../../b", "must stay inside the data disk"),
])
def test_split_spec_refuses_bad_forms(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        split_spec(spec)


# -- the Strategy protocol ----------------------------------------------------------------------

class CopyEngine:
    """A tiny external engine that fits the protocol and nothing more: ``cp -a`` in and out."""

    name = "cp"
    scope = "folders"
    source_kind = "tree"

    def protect(self, source: Path, target: Path, *, now: datetime,
                progress: ProgressCallback | None = None) -> RestorePoint:
        target.mkdir(parents=True, exist_ok=True)
        proc.run(["cp", "-a", "--", f"{source}/.", target / "copy"])
        (target / "time").write_text(now.isoformat())
        return RestorePoint("copy", now, "full")

    def points(self, target: Path) -> list[RestorePoint]:
        stamp = target / "time"
        return [RestorePoint("copy", datetime.fromisoformat(stamp.read_text()), "full")] if stamp.exists() else []

    def restore(self, target: Path, point_id: str, destination: Path, *, force: bool = False) -> RestoreReport:
        check_destination(destination, force=force)
        destination.mkdir(parents=True, exist_ok=True)
        proc.run(["cp", "-a", "--", f"{target / 'copy'}/.", destination])
        return RestoreReport(point_id, files=sum(len(files) for _, _, files in os.walk(destination)))

    def verify(self, target: Path) -> VerifyReport:
        return VerifyReport(checked=sum(len(files) for _, _, files in os.walk(target / "copy")))

    def footprint(self, target: Path) -> int:
        return sum(os.lstat(os.path.join(d, f)).st_blocks * 512 for d, _, files in os.walk(target) for f in files)


def _round_trip(engine: Strategy, source: Path, target: Path, destination: Path) -> RestoreReport:
    """What a caller that knows only the protocol does."""
    engine.protect(source, target, now=NOW)
    return engine.restore(target, engine.points(target)[-1].id, destination)


def test_an_external_engine_fits_the_protocol_and_restores_through_it(workspace: Path) -> None:
    assert misfits(CopyEngine) == []
    (workspace / "src" / "docs").mkdir(parents=True)
    (workspace / "src" / "docs" / "a.txt").write_text("alpha\n")
    report = _round_trip(CopyEngine(), workspace / "src", workspace / "kept", workspace / "back")
    assert report.files == 1 and (workspace / "back" / "docs" / "a.txt").read_text() == "alpha\n"
    with pytest.raises(UsageError, match="not empty"):
        CopyEngine().restore(workspace / "kept", "copy", workspace / "back")


def test_misfits_names_a_dropped_or_an_extra_required_parameter() -> None:
    class DropsForce(MirrorSync):
        def restore(self, target: Path, point_id: str, destination: Path) -> RestoreReport:
            raise NotImplementedError

    class WantsMore(MirrorSync):
        def verify(self, target: Path, deep: bool) -> VerifyReport:
            raise NotImplementedError

    class NoName:
        scope = "folders"
        source_kind = "tree"

    assert misfits(DropsForce) == ["restore(): does not accept force="]
    assert misfits(WantsMore) == ["verify(): requires 'deep', which callers do not pass"]
    assert "no attribute 'name'" in misfits(NoName) and "no method restore()" in misfits(NoName)
    assert misfits(MirrorSync, DiskStrategy) != []  # a tree engine takes no rescue= or size=


@pytest.mark.parametrize("name", STRATEGIES)
def test_every_shipped_strategy_fits_the_protocol_its_engine_wrapper_uses(name: str, tmp_path: Path) -> None:
    """Block-level engines are rebuilt from with rescue= and size=: they must fit DiskStrategy."""
    protection = make_protection(name, target=tmp_path / "target", scratch=tmp_path / "scratch")
    protocol = DiskStrategy if isinstance(protection, DiskProtection) else Strategy
    assert misfits(type(protection.strategy), protocol) == []


# -- a target on a data disk, end to end --------------------------------------------------------

@pytest.mark.root
def test_image_protect_onto_a_data_disk_folder_then_list_it(
        system_disk: Path, data_disk: Path, workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.disk.loop import loops_of

    assert main(["image", "protect", "--disk", "system.img", "--target", "data.img:/images"]) == 0
    capsys.readouterr()
    assert main(["image", "points", "--target", "data.img:/images", "--json"]) == 0
    points = json.loads(capsys.readouterr().out)
    assert len(points) == 1 and points[0]["kind"] == "full"
    assert loops_of(system_disk) == [] and loops_of(data_disk) == []
    mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    assert not [m for m in mounts if m.startswith(str(workspace))]
