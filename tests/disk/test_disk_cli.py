"""The disk, manifest and usage-error paths of the CLI, run as a user would: ``python -m workbench``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.disk import bootcode
from workbench.disk.loop import attached


def cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True,
                          env={**os.environ, "WORKBENCH_HOME": str(workspace)}, check=False)


def test_a_bad_flag_is_one_line_naming_the_help_and_exit_2(workspace: Path) -> None:
    done = cli(workspace, "disk", "create", "pc.img", "--colour", "blue")
    assert done.returncode == 2
    assert done.stderr == ("workbench: error: unrecognized arguments: --colour blue "
                           "(see 'workbench disk --help')\n")
    assert not (workspace / "pc.img").exists()


def test_manifest_out_keeps_an_existing_file_unless_forced(workspace: Path) -> None:
    (workspace / "tree").mkdir()
    (workspace / "tree" / "a.txt").write_text("hello")
    (workspace / "truth.json").write_text("keep me")
    refused = cli(workspace, "manifest", "tree", "--out", "truth.json")
    assert refused.returncode == 2 and "already exists" in refused.stderr and "--force" in refused.stderr
    assert (workspace / "truth.json").read_text() == "keep me"
    forced = cli(workspace, "manifest", "tree", "--out", "truth.json", "--force")
    assert forced.returncode == 0, forced.stderr
    assert json.loads((workspace / "truth.json").read_text())["entries"]


def _json(done: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(done.stdout)


@pytest.mark.root
def test_disk_verbs_from_create_to_rm(workspace: Path, tmp_path: Path) -> None:
    created = cli(workspace, "disk", "create", "pc.img", "--size", "64M")
    assert created.returncode == 0 and created.stdout.startswith("created pc.img: system disk"), created.stderr
    boot_code = (workspace / "pc.img").read_bytes()[:bootcode.BOOT_CODE_SIZE]

    again = cli(workspace, "disk", "create", "pc.img", "--size", "64M")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert (workspace / "pc.img").read_bytes()[:bootcode.BOOT_CODE_SIZE] == boot_code
    forced = cli(workspace, "disk", "create", "pc.img", "--size", "64M", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (workspace / "pc.img").read_bytes()[:bootcode.BOOT_CODE_SIZE] != boot_code, "a new disk, a new boot code"

    healthy = cli(workspace, "disk", "check", "pc.img", "--json")
    assert healthy.returncode == 0, healthy.stdout
    assert {k: _json(healthy)[k] for k in ("partition_table_ok", "boot_code_ok", "esp_ok", "root_fsck_clean", "ok")} \
        == dict.fromkeys(("partition_table_ok", "boot_code_ok", "esp_ok", "root_fsck_clean", "ok"), True)

    source = tmp_path / "vm.raw"
    source.write_bytes((workspace / "pc.img").read_bytes())
    imported = cli(workspace, "disk", "import", str(source))
    assert imported.returncode == 0 and "as vm.raw (1:esp, 2:root)" in imported.stdout, imported.stderr
    assert cli(workspace, "disk", "import", str(source)).returncode == 2
    assert cli(workspace, "disk", "import", str(source), "--force").returncode == 0

    fd = os.open(workspace / "pc.img", os.O_RDWR)
    os.pwrite(fd, bytes(bootcode.BOOT_CODE_SIZE), 0)
    os.close(fd)
    damaged = cli(workspace, "disk", "check", "pc.img", "--json")
    assert damaged.returncode == 1
    assert (_json(damaged)["boot_code_ok"], _json(damaged)["details"]["boot_code"]) == (False, "blank")
    assert cli(workspace, "disk", "check", "pc.img").stdout.splitlines()[1].startswith("FAIL boot code")

    with attached(workspace / "pc.img", readonly=True) as device:
        listed = {row["path"]: row for row in _json(cli(workspace, "disk", "list", "--json"))}
        assert set(listed) == {"pc.img", "vm.raw"} and listed["pc.img"]["attached"] == [device]
        busy = cli(workspace, "disk", "rm", "pc.img")
        assert busy.returncode == 2 and f"attached as {device}" in busy.stderr
        assert (workspace / "pc.img").exists()
    removed = cli(workspace, "disk", "rm", "pc.img")
    assert removed.returncode == 0 and not (workspace / "pc.img").exists()
    assert cli(workspace, "disk", "list").stdout.startswith("vm.raw ")
