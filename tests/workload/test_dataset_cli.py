"""The dataset, manifest and compare-tree commands on plain workspace folders (no root needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli.main import main


def test_list_shows_every_profile(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dataset", "list", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert {"classroom", "laptop", "fileserver", "media", "database"} <= set(rows)
    assert rows["classroom"]["default_data_size"] <= 48 << 20


def test_build_manifest_churn_compare(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dataset", "build", "classroom", "--into", "t", "--data-size", "5M", "--seed", "3"]) == 0
    assert main(["manifest", "t", "--out", "m/day0.json", "--include", "home"]) == 0
    capsys.readouterr()
    assert main(["compare-tree", "m/day0.json", "t"]) == 0
    assert "missing: 0" in capsys.readouterr().out.splitlines()
    assert main(["dataset", "churn", "classroom", "--into", "t", "--day", "1", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["day"] == 1 and record["created"]
    assert main(["compare-tree", "m/day0.json", "t", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ok"] and report["counts"]["unexpected"] > 0
    assert all(v["path"].startswith("home") for v in report["verdicts"])  # the manifest's scope is kept
    assert len(report["verdicts"]) == sum(report["counts"].values())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["dataset", "build", "nosuch", "--into", "x"], "known profiles are classroom"),
        (["dataset", "build", "media", "--into", "x", "--data-size", "2M"], "use at least"),
        (["dataset", "churn", "classroom", "--into", "x", "--day", "1"], "not a folder"),
        (["dataset", "churn", "classroom", "--into", "x", "--day", "1", "--hours", "25"], "not an hour range"),
        (["dataset", "build", "classroom", "--into", "/etc/x"], "outside the workspace"),
        (["compare-tree", "none.json", "x"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(workspace: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                          message: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
