"""A served disk is owned like a loop device: released on SIGTERM and Ctrl-C, and by cleanup after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sectorkit import process_gone

from workbench.disk.cleanup import release_leftovers, workspace_mounts
from workbench.disk.loop import workspace_loops
from workbench.disk.served import fuse_mounts

pytestmark = pytest.mark.root

#: Serves the disk with one bad run, attaches and mounts it, prints the server's pid and the mount, then waits.
CHILD = """
import json, signal, sys
from pathlib import Path
from workbench.disk.mounting import mounted
from workbench.disk.sector_list import SectorRange
from workbench.disk.served import served

with served(Path(sys.argv[1]), [SectorRange(40_000, 8)]) as disk, mounted(disk) as point:
    pid = json.loads((disk.parent.parent / "server.json").read_text())["pid"]
    print(pid, point, flush=True)
    signal.pause()
"""


def _start(workspace: Path, image: Path) -> tuple[subprocess.Popen, int, Path]:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(image)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True,
                             env={**os.environ, "WORKBENCH_HOME": str(workspace)})
    line = child.stdout.readline().split()
    assert line, child.stderr.read() if child.poll() is not None else "no output"
    pid, point = int(line[0]), Path(line[1])
    assert point.is_mount() and fuse_mounts(workspace) and workspace_loops(workspace) and not process_gone(pid)
    return child, pid, point


def _nothing_left(workspace: Path, pid: int) -> bool:
    return (not workspace_loops(workspace) and not workspace_mounts(workspace) and not fuse_mounts(workspace)
            and process_gone(pid) and not list((workspace / ".mnt").glob("served-*")))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signalled_holder_releases_mount_loop_fuse_and_server(workspace: Path, system_disk: Path,
                                                                  sig: signal.Signals) -> None:
    child, pid, _point = _start(workspace, system_disk)
    try:
        os.killpg(child.pid, sig)  # the whole process group, as a terminal's Ctrl-C does: the server is not in it
        child.wait(timeout=120)
        assert _nothing_left(workspace, pid), child.stderr.read()
    finally:
        child.kill()
        child.wait()
        release_leftovers()


def test_after_sigkill_cleanup_releases_mount_loop_fuse_and_server(workspace: Path, system_disk: Path) -> None:
    child, pid, point = _start(workspace, system_disk)
    state = next((workspace / ".mnt").glob("served-*/server.json"))
    assert json.loads(state.read_text())["pid"] == pid
    child.kill()
    child.wait(timeout=30)
    try:
        assert point.is_mount() and fuse_mounts(workspace) and workspace_loops(workspace) and not process_gone(pid), \
            "SIGKILL cannot be caught: leftovers expected"
        done = subprocess.run([sys.executable, "-m", "workbench", "cleanup"], capture_output=True, text=True,
                              env={**os.environ, "WORKBENCH_HOME": str(workspace)}, check=False)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        order = [next(i for i, line in enumerate(lines) if line.startswith(word)) for word in
                 (f"unmounted {point}", "detached", f"unmounted {state.parent / 'fuse'}", "stopped the sector server")]
        assert order == sorted(order), done.stdout
        assert _nothing_left(workspace, pid)
    finally:
        release_leftovers()
