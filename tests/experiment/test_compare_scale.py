"""compare at scale, for real: runs that share a workspace, a killed run resumed, cells on a Dask cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from workbench.commands.compare import compare
from workbench.disk import owners
from workbench.disk.cleanup import release_leftovers
from workbench.disk.loop import workspace_loops
from workbench.disk.owners import OwnerRecord
from workbench.experiment.cell_process import CellResult
from workbench.experiment.matrix import plan_cells
from workbench.experiment.runner import run_cell
from workbench.units import parse_size

pytestmark = [pytest.mark.root, pytest.mark.slow]

DATA = "4M"
#: The outcome columns two runs of the same cells must agree on, wherever the cells ran.
OUTCOMES = ["strategy", "scenario", "status", "files_intact", "files_missing", "files_corrupted", "files_stale",
            "bytes_intact", "bytes_lost", "bytes_stale", "came_back_clean"]


def _compare(workspace: Path, out: Path, strategies: str, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_QUIET"}
    return subprocess.Popen([sys.executable, "-m", "workbench", "compare", "--strategies", strategies,
                             "--scenarios", "deletion", "--data-size", DATA, "--out", str(out), "--no-report", *extra],
                            env={**env, "WORKBENCH_HOME": str(workspace)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _holding_cell(workspace: Path, out: Path, run: subprocess.Popen[str], timeout_s: float = 240) -> OwnerRecord:
    """The owner record of a cell of the run into ``out`` once it holds a loop device and a mount."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for record in owners.records(workspace):
            if f"/experiments/{out.name}-" in record.argv and _parent_of(record.owner.pid) == run.pid \
                    and record.paths("mounts") and record.paths("images") \
                    and all(p.is_mount() for p in record.paths("mounts")) and record.owner.alive():
                return record
        assert run.poll() is None, run.communicate()[1]
        time.sleep(0.05)
    pytest.fail(f"no cell of {out.name} came to hold a mount")


def _parent_of(pid: int) -> int | None:
    """The parent's pid (both runs' scratch folders start with their --out's name: the parent tells them apart)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[1])


def _loops_of(images: set[Path], workspace: Path) -> list[str]:
    return [device for device, backing in workspace_loops(workspace).items() if backing in images]


def test_cleanup_beside_a_live_compare_frees_only_the_killed_runs_disks(workspace: Path) -> None:
    killed_out, live_out = workspace / "a" / "today", workspace / "b" / "today"  # the same name: scratch apart
    killed = _compare(workspace, killed_out, "backup")
    live = _compare(workspace, live_out, "backup,none")
    paused: OwnerRecord | None = None
    try:
        doomed = _holding_cell(workspace, killed_out, killed)
        os.killpg(doomed.owner.pid, signal.SIGKILL)  # the cell first: else its parent would start the next
        killed.kill()
        killed.wait()
        paused = _holding_cell(workspace, live_out, live)
        os.killpg(paused.owner.pid, signal.SIGSTOP)  # alive, and holding still while cleanup looks
        assert _loops_of(doomed.paths("images"), workspace) and all(p.is_mount() for p in doomed.paths("mounts"))
        assert _loops_of(paused.paths("images"), workspace) and all(p.is_mount() for p in paused.paths("mounts"))

        done = subprocess.run([sys.executable, "-m", "workbench", "cleanup"], capture_output=True, text=True,
                              env={**os.environ, "WORKBENCH_HOME": str(workspace)}, check=False)
        assert done.returncode == 0, done.stderr
        assert not _loops_of(doomed.paths("images"), workspace)
        assert not any(p.is_mount() for p in doomed.paths("mounts"))
        assert not doomed.path.exists()
        assert _loops_of(paused.paths("images"), workspace) and all(p.is_mount() for p in paused.paths("mounts"))

        os.killpg(paused.owner.pid, signal.SIGCONT)
        paused = None
        assert live.wait(timeout=300) == 0, live.communicate()[1]
        assert list(pd.read_csv(live_out / "results.csv")["status"]) == ["ok", "ok"]
        assert json.loads((live_out / "run.json").read_text())["finished"]
    finally:
        if paused is not None:
            os.killpg(paused.owner.pid, signal.SIGCONT)
        for run in (killed, live):
            run.kill()
            run.wait()
        _wait_no_live_owner(workspace)
        release_leftovers()


def _wait_no_live_owner(workspace: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while any(r.owner.alive() for r in owners.records(workspace)) and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_compare_killed_after_two_cells_resumes_without_running_them_again(workspace: Path) -> None:
    out = workspace / "resumed"
    strategies = "none,backup,mirror-sync"
    run = _compare(workspace, out, strategies)
    try:
        assert run.stderr is not None
        for line in run.stderr:
            if line.startswith("[2/3]"):
                break
        run.kill()  # its cell in flight dies with it (and unwinds, releasing its disks)
        run.wait()
        _wait_no_live_owner(workspace)
    finally:
        run.kill()
        run.wait()
    record = json.loads((out / "run.json").read_text())
    assert record["finished"] == ""  # interrupted: not stamped finished
    first_two = {path.name: path.stat().st_mtime_ns for path in (out / "cells" / "rows").glob("*.json")}
    assert sorted(first_two) == ["backup__deletion__r1.json", "none__deletion__r1.json"]

    with pytest.raises(Exception, match="already holds results"):
        compare(out=out, strategies=strategies, scenarios="deletion", data_size=DATA, report=False, quiet=True)
    ran: list[str] = []

    def note(done: int, total: int, result: CellResult) -> None:
        ran.append(result.label)

    result = compare(out=out, strategies=strategies, scenarios="deletion", data_size=DATA, report=False,
                     quiet=True, resume=True, on_cell=note)
    assert ran == ["mirror-sync__deletion__r1"] and result.resumed == 2
    table = pd.read_csv(out / "results.csv")
    assert list(table["strategy"]) == ["none", "backup", "mirror-sync"] and set(table["status"]) == {"ok"}
    assert {path.name: path.stat().st_mtime_ns for path in (out / "cells" / "rows").glob("*.json")
            if path.name in first_two} == first_two
    assert json.loads((out / "run.json").read_text())["finished"]
    assert not workspace_loops(workspace)


def test_a_dask_cluster_and_a_fresh_build_get_the_sequential_outcomes_and_both_workers_run_cells(workspace: Path,
                                                                                      tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    options = {"strategies": "backup,mirror-sync", "scenarios": "deletion", "data_size": DATA, "report": False,
               "quiet": True}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, resources={"loopdev": 1},
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:  # compare must not need a default
        workers = set(client.run(os.getpid).values())
        on_dask = compare(out=tmp_path / "dask", executor="dask", scheduler=cluster.scheduler_address, **options)
    sequential = compare(out=tmp_path / "sequential", **options)

    assert [row["status"] for row in on_dask.rows] == ["ok", "ok"]
    assert pd.DataFrame(on_dask.rows)[OUTCOMES].equals(pd.DataFrame(sequential.rows)[OUTCOMES])
    # The second sequential cell copied the run's starting disk; a cell that builds its own gets its outcomes.
    fresh = run_cell(plan_cells(["mirror-sync"], ["deletion"], profile="classroom", data_size=parse_size(DATA), seed=1,
                                repeat=1)[0], workspace / "fresh")
    copied = json.loads((tmp_path / "sequential" / "cells" / "mirror-sync__deletion__r1.json").read_text())
    assert copied["starting_disk"] == "copied"
    assert pd.DataFrame([fresh])[OUTCOMES].equals(pd.DataFrame(sequential.rows[1:])[OUTCOMES])
    runners = {json.loads(path.read_text())["runner"]["pid"]
               for path in (tmp_path / "dask" / "cells").glob("*.json")}
    assert runners == workers and len(workers) == 2
