"""The judge on a real loop-mounted system disk: five kinds of damage, exact counts."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from workbench import guard
from workbench.cli.main import main
from workbench.disk.create import create_disk
from workbench.disk.loop import loops_of
from workbench.disk.mounting import drop_caches, mounted
from workbench.truth.disk_manifest import DiskManifest, disk_differences, take_disk_manifest
from workbench.truth.judge import compare

pytestmark = pytest.mark.root


@pytest.fixture
def built_disk(workspace: Path) -> Path:
    image = create_disk("judge.img", "system", 96 << 20)
    assert main(["dataset", "build", "classroom", "--disk", "judge.img", "--data-size", "8M", "--seed", "1"]) == 0
    return image


def _plain_file(root: Path, folder: str, skip: set[str]) -> Path:
    for path in sorted((root / folder).rglob("*")):
        st = path.lstat()
        if stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and st.st_size > 0 and path.name not in skip:
            return path
    raise AssertionError(f"no plain file in {folder}")


def test_five_kinds_of_damage_are_counted_exactly(built_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    truth = take_disk_manifest(built_disk)
    assert truth.root is not None and "home/alice/Desktop" in truth.root.entries
    assert any(path.endswith("BOOTX64.EFI") for path in truth.esp)
    assert [p["number"] for p in truth.partitions] == [1, 2]
    truth.save(Path(os.environ["WORKBENCH_HOME"]) / "truth.json")

    with mounted(built_disk) as root:
        deleted = _plain_file(root, "home/alice/Documents", set())
        flipped = _plain_file(root, "home/bob/Pictures", set())
        chmodded = _plain_file(root, "etc", set())
        deleted.unlink()
        st = flipped.stat()
        with open(flipped, "r+b") as handle:  # one bit, XOR (a constant write can be a no-op)
            handle.seek(st.st_size // 2)
            byte = handle.read(1)[0]
            handle.seek(st.st_size // 2)
            handle.write(bytes([byte ^ 0x10]))
        os.utime(flipped, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size and mtime: only the bytes say it
        os.chmod(chmodded, 0o600)
        (root / "home/alice/Documents/added.txt").write_bytes(b"not in the truth")
        (root / "home/alice/Desktop").unlink()
        os.symlink("Downloads", root / "home/alice/Desktop")
        rel = {p: p.relative_to(root).as_posix() for p in (deleted, flipped, chmodded)}
    assert loops_of(built_disk) == []
    drop_caches()

    after = take_disk_manifest(built_disk)
    result = compare(truth.root, after.root)
    total = len(truth.root.entries)
    assert result.counts() == {"intact": total - 4, "missing": 1, "corrupted": 2, "metadata": 1, "unexpected": 1}
    verdicts = {v.path: v for v in result.verdicts if v.category != "intact"}
    assert verdicts[rel[deleted]].category == "missing"
    assert verdicts[rel[flipped]].category == "corrupted" and "hash" in verdicts[rel[flipped]].detail
    assert verdicts[rel[chmodded]].category == "metadata" and "-> 0600" in verdicts[rel[chmodded]].detail
    assert verdicts["home/alice/Documents/added.txt"].category == "unexpected"
    assert (verdicts["home/alice/Desktop"].category == "corrupted"
            and "Downloads" in verdicts["home/alice/Desktop"].detail)
    assert result.bytes_by_category()["missing"] == truth.root.entries[rel[deleted]].size
    assert disk_differences(truth, after) == []

    capsys.readouterr()
    assert main(["compare-tree", "truth.json", "judge.img"]) == 1
    lines = capsys.readouterr().out.splitlines()
    for expected in ("missing: 1", "corrupted: 2", "metadata: 1", "unexpected: 1", f"intact: {total - 4}"):
        assert expected in lines
    assert loops_of(built_disk) == []


def test_disk_level_damage_is_reported(built_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = Path(os.environ["WORKBENCH_HOME"])
    assert main(["manifest", "judge.img", "--out", "m/disk.json"]) == 0
    truth = DiskManifest.load(home / "m/disk.json")
    assert main(["compare-tree", "m/disk.json", "judge.img"]) == 0
    fd = guard.open_for_write(built_disk)
    try:
        os.pwrite(fd, bytes([os.pread(fd, 1, 100)[0] ^ 0xFF]), 100)  # inside the boot-code area
    finally:
        os.close(fd)
    problems = disk_differences(truth, take_disk_manifest(built_disk))
    assert problems == ["boot code (bytes 0-439) differs"]
    capsys.readouterr()
    assert main(["compare-tree", "m/disk.json", "judge.img"]) == 1
    assert "disk: boot code (bytes 0-439) differs" in capsys.readouterr().out


def test_churn_on_a_disk_goes_forward_only(built_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dataset", "churn", "classroom", "--disk", "judge.img", "--day", "1", "--hours", "8-12"]) == 0
    assert "day 1 hours 8-12: created" in capsys.readouterr().out
    assert main(["dataset", "churn", "classroom", "--disk", "judge.img", "--day", "1", "--hours", "9"]) == 2
    assert "only go forward" in capsys.readouterr().err
    with mounted(built_disk, readonly=True) as root:
        assert (root / "var/lib/workbench/dataset.json").is_file()
    assert loops_of(built_disk) == []
