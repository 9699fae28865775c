"""Bad input gives one clear line (exit 2), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.backup.conftest import DAY0
from workbench.cli.main import main
from workbench.errors import UsageError
from workbench.strategies.backup import BackupStrategy, Selection


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("workbench: error:"), err
    assert needle in err


def test_not_a_repository(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workspace / "photos").mkdir()
    (workspace / "photos/cat.jpg").write_bytes(b"meow")
    _one_line_error(capsys, ["backup", "points", "--target", "photos"], "is not a backup repository")
    _one_line_error(capsys, ["backup", "verify", "--target", "nothing-here"], "is not a backup repository")
    (workspace / "src").mkdir()
    # protect refuses to turn a non-empty foreign folder into a repository
    _one_line_error(capsys, ["backup", "protect", "--source", "src", "--target", "photos"], "not empty")
    assert sorted(p.name for p in (workspace / "photos").iterdir()) == ["cat.jpg"]


def test_newer_format(small_tree: Path, workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    BackupStrategy().protect(small_tree, workspace / "repo", now=DAY0)
    config = json.loads((workspace / "repo/config").read_text())
    config["version"] = 99
    (workspace / "repo/config").write_text(json.dumps(config))
    _one_line_error(capsys, ["backup", "restore", "--target", "repo", "--to", "out"], "newer than this workbench")
    _one_line_error(capsys, ["backup", "protect", "--source", "src", "--target", "repo"], "upgrade the workbench")


def test_missing_snapshot_id(small_tree: Path, workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    BackupStrategy().protect(small_tree, workspace / "repo", now=DAY0)
    _one_line_error(capsys, ["backup", "restore", "--target", "repo", "--point", "deadbeef", "--to", "out"],
                    "no snapshot matches 'deadbeef'")
    _one_line_error(capsys, ["backup", "restore", "--target", "repo", "--path", "home/carol", "--to", "out"],
                    "'home/carol' is not in this snapshot")


def test_missing_source_folder(small_tree: Path, workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _one_line_error(capsys, ["backup", "protect", "--source", "src", "--folders", "srv", "--target", "repo"],
                    "the folder 'srv' does not exist")
    _one_line_error(capsys, ["backup", "protect", "--source", "no-such-dir", "--target", "repo"], "does not exist")
    with pytest.raises(UsageError, match="'../etc' is not a folder inside the source"):
        BackupStrategy(selection=Selection(folders=("../etc",))).protect(small_tree, workspace / "repo", now=DAY0)
    assert not (workspace / "repo" / "snapshots").exists() or not any((workspace / "repo" / "snapshots").iterdir())


def test_bad_time_and_empty_keep_policy(small_tree: Path, workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _one_line_error(capsys, ["backup", "protect", "--source", "src", "--target", "repo", "--now", "yesterday"],
                    "not an ISO 8601 time")
    assert main(["backup", "protect", "--source", "src", "--target", "repo", "--now", "2026-01-05T09:00"]) == 0
    _one_line_error(capsys, ["backup", "forget", "--target", "repo"], "no keep rule given")
    assert len(BackupStrategy().points(workspace / "repo")) == 1
