"""Targets (``PATH`` or ``DATA.img:/folder``) and the Strategy protocol engines must fit.

mypy checks this module (``files`` in pyproject.toml): the assignments below are how each
shipped engine is held to the protocol its wrapper uses, statically.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench import proc
from workbench.cli.main import main
from workbench.disk.targets import check_destination, split_spec
from workbench.errors import UsageError
from workbench.experiment.protection import DiskProtection
from workbench.experiment.registry import STRATEGIES, make_protection
from workbench.strategies.backup.engine import BackupStrategy
from workbench.strategies.base import (
    DiskStrategy,
    Lister,
    ProgressCallback,
    RestorePoint,
    RestoreReport,
    Scope,
    SourceKind,
    Strategy,
    VerifyReport,
)
from workbench.strategies.clone import CloneStrategy
from workbench.strategies.external.borg import BorgEngine
from workbench.strategies.external.partclone import PartcloneImage
from workbench.strategies.external.restic import ResticEngine
from workbench.strategies.external.rsnapshot import RsnapshotEngine
from workbench.strategies.external.rsync import RsyncMirror
from workbench.strategies.external.unison import UnisonMirror
from workbench.strategies.image.engine import ImageStrategy
from workbench.strategies.mirror.raid1_mode import Raid1Strategy
from workbench.strategies.mirror.strategies import MirrorContinuous, MirrorSync, MirrorTwoWay
from workbench.strategies.none import NoStrategy

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
    scope: Scope = "folders"
    source_kind: SourceKind = "tree"

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


#: The engines block-level wrappers rebuild disks with (rescue=, size=), and the others: mypy checks
#: that each class fits its protocol, as it checks that CopyEngine does where _round_trip takes it.
DISK_ENGINES: tuple[type[DiskStrategy], ...] = (ImageStrategy, CloneStrategy, PartcloneImage)
OTHER_ENGINES: tuple[type[Strategy], ...] = (NoStrategy, BackupStrategy, MirrorSync, MirrorContinuous, MirrorTwoWay,
                                             Raid1Strategy, ResticEngine, BorgEngine, RsnapshotEngine, RsyncMirror,
                                             UnisonMirror)
#: Every engine with points lists them and restores path by path, for recovery (mypy checks these too).
LISTERS: tuple[type[Lister], ...] = (ImageStrategy, CloneStrategy, PartcloneImage, BackupStrategy, MirrorSync,
                                     MirrorContinuous, MirrorTwoWay, Raid1Strategy, ResticEngine, BorgEngine,
                                     RsnapshotEngine, RsyncMirror, UnisonMirror)


def test_an_external_engine_fits_the_protocol_and_restores_through_it(workspace: Path) -> None:
    (workspace / "src" / "docs").mkdir(parents=True)
    (workspace / "src" / "docs" / "a.txt").write_text("alpha\n")
    report = _round_trip(CopyEngine(), workspace / "src", workspace / "kept", workspace / "back")
    assert report.files == 1 and (workspace / "back" / "docs" / "a.txt").read_text() == "alpha\n"
    with pytest.raises(UsageError, match="not empty"):
        CopyEngine().restore(workspace / "kept", "copy", workspace / "back")


MISFITS = """
from pathlib import Path
from workbench.strategies.base import RestoreReport, Scope, SourceKind, Strategy, VerifyReport
from workbench.strategies.mirror.strategies import MirrorSync

class DropsForce(MirrorSync):
    def restore(self, target: Path, point_id: str, destination: Path) -> RestoreReport: ...

class WantsMore(MirrorSync):
    def verify(self, target: Path, deep: bool) -> VerifyReport: ...

class NoName:
    scope: Scope = "folders"
    source_kind: SourceKind = "tree"

fits: type[Strategy] = MirrorSync
drops_force: type[Strategy] = DropsForce
wants_more: type[Strategy] = WantsMore
no_name: type[Strategy] = NoName
"""


@pytest.mark.timeout(600)  # mypy, cold, on a loaded machine
def test_mypy_refuses_an_engine_that_drops_a_parameter_wants_one_more_or_lacks_a_name(tmp_path: Path) -> None:
    """What the static check above relies on: an engine that misfits its protocol is a type error."""
    snippet = tmp_path / "misfits.py"
    snippet.write_text(MISFITS)
    done = subprocess.run([sys.executable, "-m", "mypy", str(snippet)], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, check=False)
    refused = 'expression has type "type[{}]", variable has type "type[Strategy]"'
    assert refused.format("MirrorSync") not in done.stdout, done.stdout
    for engine in ("DropsForce", "WantsMore", "NoName"):
        assert refused.format(engine) in done.stdout, done.stdout


@pytest.mark.parametrize("name", STRATEGIES)
def test_every_shipped_strategy_is_an_engine_held_to_the_protocol_its_wrapper_uses(name: str, tmp_path: Path) -> None:
    """Block-level engines are rebuilt from with rescue= and size=: their wrappers hold a DiskStrategy."""
    protection = make_protection(name, target=tmp_path / "target", scratch=tmp_path / "scratch")
    engines = DISK_ENGINES if isinstance(protection, DiskProtection) else DISK_ENGINES + OTHER_ENGINES
    assert type(protection.strategy) in engines


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
