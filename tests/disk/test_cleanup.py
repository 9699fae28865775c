"""Nothing stays attached: on SIGTERM, on Ctrl-C, and after SIGKILL via 'workbench cleanup'."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.disk.cleanup import workspace_mounts
from workbench.disk.loop import workspace_loops

pytestmark = pytest.mark.root


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_mount(workspace: Path, image: Path) -> tuple[subprocess.Popen, str]:
    """``disk mount`` in a child started as a script's background job is: with SIGINT ignored."""
    child = subprocess.Popen([sys.executable, "-m", "workbench", "disk", "mount", image.name],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "WORKBENCH_HOME": str(workspace)}, preexec_fn=_ignore_sigint)
    point = child.stdout.readline().strip()
    assert point and Path(point).is_mount(), child.stderr.read() if child.poll() is not None else point
    assert workspace_loops(workspace)
    return child, point


def _nothing_attached(workspace: Path) -> bool:
    return not workspace_loops(workspace) and not workspace_mounts(workspace)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signalled_child_releases_everything(workspace: Path, system_disk: Path, sig: signal.Signals) -> None:
    child, point = _start_mount(workspace, system_disk)
    child.send_signal(sig)
    try:  # a bound on a hang, not a timing: unmounting waits for writeback, slow on a loaded machine
        code = child.wait(timeout=120)
    except subprocess.TimeoutExpired:
        child.terminate()  # the CLI releases on SIGTERM, so a failure here leaves nothing behind
        pytest.fail(f"the child did not exit after {sig.name}: {child.communicate(timeout=60)[1]}")
    assert code == 130
    assert _nothing_attached(workspace)
    assert not Path(point).exists()


def test_sigkill_leaves_leftovers_that_cleanup_releases(workspace: Path, system_disk: Path) -> None:
    child, point = _start_mount(workspace, system_disk)
    child.kill()
    child.wait(timeout=30)
    time.sleep(0.2)
    assert Path(point).is_mount() and workspace_loops(workspace), "SIGKILL cannot be caught: leftovers expected"
    done = subprocess.run([sys.executable, "-m", "workbench", "cleanup"], capture_output=True, text=True,
                          env={**os.environ, "WORKBENCH_HOME": str(workspace)}, check=False)
    assert done.returncode == 0, done.stderr
    assert "unmounted" in done.stdout and "detached" in done.stdout
    assert _nothing_attached(workspace)


def test_mount_runs_a_command_inside_and_returns_its_exit_code(workspace: Path, system_disk: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "disk", "mount", "system.img", "--",
         "sh", "-c", 'echo hello > note.txt && test "$PWD" = "$WORKBENCH_MOUNT" && exit 7'],
        capture_output=True, text=True, env={**os.environ, "WORKBENCH_HOME": str(workspace)}, check=False)
    assert done.returncode == 7, done.stderr
    assert _nothing_attached(workspace)
    check = subprocess.run([sys.executable, "-m", "workbench", "disk", "mount", "system.img", "--", "cat", "note.txt"],
                           capture_output=True, text=True, env={**os.environ, "WORKBENCH_HOME": str(workspace)})
    assert check.stdout == "hello\n"


def test_an_exception_inside_mounted_releases_the_mount_and_the_loop(workspace: Path, system_disk: Path) -> None:
    from workbench.disk.mounting import mounted

    with pytest.raises(RuntimeError, match="boom"):
        with mounted(system_disk) as point:
            assert point.is_mount() and workspace_loops(workspace)
            raise RuntimeError("boom")
    assert _nothing_attached(workspace)
    assert not point.exists()


API_CHILD = """
import signal, sys
from pathlib import Path
from workbench.disk.mounting import mounted

with mounted(Path(sys.argv[1])) as point:
    print(point, flush=True)
    signal.pause()
"""


def test_sigterm_to_a_script_using_the_api_releases_everything(workspace: Path, system_disk: Path) -> None:
    from workbench.disk.cleanup import release_leftovers

    child = subprocess.Popen([sys.executable, "-c", API_CHILD, str(system_disk)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "WORKBENCH_HOME": str(workspace)})
    try:
        point = child.stdout.readline().strip()
        assert point and Path(point).is_mount(), child.stderr.read() if child.poll() is not None else point
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)
        assert "Interrupted: stopped by signal SIGTERM" in child.stderr.read()
        assert _nothing_attached(workspace)
        assert not Path(point).exists()
    finally:
        child.kill()
        child.wait()
        release_leftovers()
