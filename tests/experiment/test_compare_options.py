"""compare's options that need no disk: refusing a used --out, executors, progress lines, exit codes."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from workbench.cli import compare_cmd
from workbench.commands import compare as compare_command
from workbench.commands.compare import Comparison, compare
from workbench.errors import UsageError
from workbench.experiment.executors import DaskCluster, Executor, LocalJobs, make_executor
from workbench.progress import Tally, format_seconds
from workbench.results.schema import Row


def test_an_out_that_holds_results_is_refused_without_resume_or_force(tmp_path: Path) -> None:
    out = tmp_path / "today"
    (out / "cells").mkdir(parents=True)
    (out / "results.csv").write_text("strategy\n")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match=r"already holds results \(results.csv, cells/\): pass --resume"):
        compare(out=out, strategies="none", scenarios="deletion")
    with pytest.raises(UsageError, match="pass one of them"):
        compare(out=out, strategies="none", scenarios="deletion", resume=True, force=True)
    compare_command.prepare_out(out, resume=False, force=True)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # only the results go


def test_executors_as_asked() -> None:
    assert type(make_executor()) is Executor
    assert make_executor(jobs=3) == LocalJobs(3)
    assert make_executor("dask", scheduler="tcp://127.0.0.1:8786") == DaskCluster("tcp://127.0.0.1:8786")
    for kwargs, message in (({"kind": "dask"}, "needs --scheduler"), ({"jobs": 0}, "1 or more"),
                            ({"kind": "sequential", "scheduler": "tcp://x:1"}, "goes with --executor dask"),
                            ({"kind": "ray"}, "no executor 'ray'")):
        with pytest.raises(UsageError, match=message):
            make_executor(**kwargs)


def test_off_a_terminal_each_finished_cell_is_a_line_with_the_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_QUIET", raising=False)
    stream = io.StringIO()
    tally = Tally(4, "cells", done=1, stream=stream)
    tally.finished("backup__deletion__r1", "ok", 12.34)
    tally.finished("none__deletion__r1", "failed", 2.0)
    tally.finished("clone__deletion__r1", "ok", 3.0)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[2/4] backup__deletion__r1: ok in 12.3 s; about ")
    assert lines[1].startswith("[3/4] none__deletion__r1: failed in 2.0 s; about ")
    assert lines[2] == "[4/4] clone__deletion__r1: ok in 3.0 s"
    quiet = io.StringIO()
    Tally(2, "cells", quiet=True, stream=quiet).finished("x", "ok", 1.0)
    assert quiet.getvalue() == ""
    assert (format_seconds(75), format_seconds(4000)) == ("1 min 15 s", "1 h 06 min")


def _row(status: str) -> Row:
    return Row.failed("KeyError: 'x'", strategy="backup", variant="", family="backup", engine="workbench",
                      scope="folders", scenario="deletion", repetition=1, seed=1, profile="classroom") \
        if status == "failed" else Row({"strategy": "none", "scenario": "deletion", "repetition": 1, "status": "ok"})


@pytest.mark.parametrize(("statuses", "code"), [(["ok", "ok"], 0), (["ok", "failed"], 3), (["failed"], 3)])
def test_the_exit_code_is_3_when_any_cell_failed_and_json_prints_the_summary(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], statuses: list[str], code: int) -> None:
    rows = [_row(s) for s in statuses]
    monkeypatch.setattr(compare_cmd, "compare", lambda **kw: Comparison(Path("/r"), rows, None, resumed=1, seconds=2.0))
    parser = argparse.ArgumentParser()
    compare_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["compare", "--out", "r", "--json"])
    assert compare_cmd.run(args) == code
    summary = json.loads(capsys.readouterr().out)
    assert summary["cells"] == len(rows) and summary["resumed"] == 1 and summary["ran"] == len(rows) - 1
    assert [f["cell"] for f in summary["failed"]] == ["backup/deletion/r1"] * statuses.count("failed")


def test_a_task_the_cluster_lost_is_its_cells_failed_row() -> None:
    from workbench.experiment import executors
    from workbench.experiment.cell_process import CellJob
    from workbench.experiment.matrix import plan_cells

    class Lost:
        def result(self) -> None:
            raise RuntimeError("Attempted to run task on 3 different workers, all of which died")

    (cell,) = plan_cells(["backup"], ["deletion"], profile="classroom", data_size=None, seed=1, repeat=1)
    result = executors._result_or_failed(Lost(), CellJob(cell, "experiments/x"))
    assert result.label == "backup__deletion__r1" and result.status == "failed"
    assert result.row["error"].startswith("RuntimeError on the cluster: Attempted to run task")
