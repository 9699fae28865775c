"""Every refusal the workbench makes, through the API and through the CLI."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from workbench import guard, proc
from workbench.disk import loop
from workbench.disk.create import create_disk, import_disk
from workbench.disk.table import gpt_problems, read_table
from workbench.errors import MissingToolError, NotRootError, SafetyError, UsageError
from workbench.truth.disk_manifest import take_disk_manifest
from workbench.workspace import resolve as workspace_resolve


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)


def test_relative_paths_land_inside_the_workspace(workspace: Path) -> None:
    assert workspace_resolve("a/b.img") == workspace / "a" / "b.img"


@pytest.mark.parametrize("path", ["/etc/passwd", "/tmp/outside.img", "../escape.img", "a/../../escape.img"])
def test_paths_outside_the_workspace_are_refused(workspace: Path, path: str) -> None:
    with pytest.raises(SafetyError, match="outside the workspace"):
        workspace_resolve(path)


def test_a_symlink_leading_out_is_refused(workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "victim.img"
    outside.write_bytes(b"precious" * 1000)
    (workspace / "innocent.img").symlink_to(outside)
    with pytest.raises(SafetyError, match="through a symlink"):
        workspace_resolve("innocent.img")
    with pytest.raises(SafetyError):
        guard.open_for_write(workspace / "innocent.img")
    (workspace / "linkdir").symlink_to(tmp_path)
    with pytest.raises(SafetyError):
        create_disk("linkdir/new.img", "data", 48 << 20)
    assert outside.read_bytes() == b"precious" * 1000
    assert not (tmp_path / "new.img").exists()


def test_existing_files_are_not_overwritten_unless_told(workspace: Path) -> None:
    (workspace / "taken.img").write_bytes(b"keep me")
    with pytest.raises(UsageError, match="already exists.*--force"):
        create_disk("taken.img", "data", 48 << 20)
    assert (workspace / "taken.img").read_bytes() == b"keep me"


@pytest.mark.parametrize("device", ["/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/null"])
def test_foreign_devices_are_refused(workspace: Path, device: str) -> None:
    with pytest.raises(SafetyError):
        guard.open_for_write(device)


@pytest.mark.parametrize("reader", [read_table, gpt_problems, take_disk_manifest])
def test_raw_reads_are_guarded_like_writes(workspace: Path, tmp_path: Path, reader) -> None:
    outside = tmp_path / "someone-elses.img"
    outside.write_bytes(bytes(1 << 20))
    with pytest.raises(SafetyError, match="outside the workspace"):
        reader(outside)
    with pytest.raises(SafetyError, match="not a block device"):
        reader("/dev/null")
    os.mkfifo(workspace / "pipe.img")
    with pytest.raises(SafetyError, match="not a regular image file"):
        reader(workspace / "pipe.img")


def test_import_reads_an_outside_file_but_never_a_device(workspace: Path, tmp_path: Path) -> None:
    link = tmp_path / "disk.raw"
    link.symlink_to("/dev/null")
    with pytest.raises(UsageError, match="not a file"):
        import_disk(link)
    assert not (workspace / "disk.raw").exists()


def test_cli_refuses_outside_paths_and_devices_with_exit_2(workspace: Path) -> None:
    for args in (["disk", "create", "/etc/wb-test.img", "--layout", "data", "--size", "48M"],
                 ["disk", "check", "/dev/vda"], ["disk", "rm", "../../etc/hostname"]):
        done = cli(*args)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "workbench: error:" in done.stderr
    assert not Path("/etc/wb-test.img").exists()


def test_not_root_gets_one_clear_line(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workspace / "x.img").write_bytes(bytes(4096))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(NotRootError, match="needs root"):
        loop.attach(workspace / "x.img")


def test_missing_tool_names_the_apt_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proc.shutil, "which", lambda *a, **k: None)
    with pytest.raises(MissingToolError, match="apt-get install mtools"):
        proc.run(["mcopy", "--version"])


def test_import_never_writes_the_source(workspace: Path, tmp_path: Path) -> None:
    source = tmp_path / "vm.raw"
    with open(source, "wb") as handle:
        handle.truncate(32 << 20)
        handle.seek(5 << 20)
        handle.write(b"data" * 4096)
    source.chmod(0o444)
    before = (source.read_bytes(), source.stat().st_mtime_ns)
    copy, _ = import_disk(source)
    assert copy == workspace / "vm.raw"
    assert copy.read_bytes() == before[0]
    assert copy.stat().st_blocks * 512 < 1 << 20, "the copy must stay sparse"
    assert (source.read_bytes(), source.stat().st_mtime_ns) == before


@pytest.mark.root
def test_someone_elses_loop_device_is_refused_and_left_alone(workspace: Path, tmp_path: Path) -> None:
    from workbench.disk.cleanup import release_leftovers

    foreign = tmp_path / "foreign.img"
    foreign.write_bytes(bytes(1 << 20))
    device = subprocess.run(["losetup", "--find", "--show", foreign], capture_output=True, text=True,
                            check=True).stdout.strip()
    try:
        with pytest.raises(SafetyError, match="outside the workspace"):
            guard.open_for_write(device)
        release_leftovers()
        assert device in subprocess.run(["losetup", "--list"], capture_output=True, text=True).stdout
    finally:
        subprocess.run(["losetup", "--detach", device], check=True)


def _foreign_disk_numbers() -> int:
    """The device number of a real disk of this machine (not a loop device)."""
    for entry in sorted(Path("/sys/block").iterdir()):
        if not entry.name.startswith("loop"):
            major, minor = (entry / "dev").read_text().split(":")
            return os.makedev(int(major), int(minor))
    pytest.skip("no disk other than loop devices on this machine")


@pytest.mark.root
def test_a_node_of_a_real_disk_is_refused_for_writes_and_reads(workspace: Path, tmp_path: Path) -> None:
    node = tmp_path / "disk"
    os.mknod(node, stat.S_IFBLK | 0o600, _foreign_disk_numbers())
    for touch in (guard.open_for_write, read_table, take_disk_manifest):
        with pytest.raises(SafetyError, match="not attached by the workbench"):
            touch(node)


@pytest.mark.root
def test_a_node_named_like_our_loop_device_but_with_other_numbers_is_refused(workspace: Path, tmp_path: Path) -> None:
    image = workspace / "raw.img"
    image.write_bytes(bytes(1 << 20))
    with loop.attached(image) as device:
        assert guard.check_device(device) == Path(device)  # the real one is ours
        impostor = tmp_path / "dev" / Path(device).name
        impostor.parent.mkdir()
        os.mknod(impostor, stat.S_IFBLK | 0o600, _foreign_disk_numbers())
        for check in (guard.check_device, guard.check_target, read_table):
            with pytest.raises(SafetyError, match="not attached by the workbench"):
                check(impostor)
