"""Every refusal the workbench makes, through the API and through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench import guard, proc
from workbench.workspace import resolve as workspace_resolve
from workbench.disk import loop
from workbench.disk.create import create_disk, import_disk
from workbench.errors import MissingToolError, NotRootError, SafetyError, UsageError


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
