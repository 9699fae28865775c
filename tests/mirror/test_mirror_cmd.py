"""``workbench mirror``: the CLI translates arguments, prints JSON, and gives one-line errors."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from workbench.cli.main import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def source(workspace: Path) -> Path:
    (workspace / "src" / "docs").mkdir(parents=True)
    (workspace / "src" / "docs" / "a.txt").write_text("alpha\n" * 100)
    return workspace / "src"


def test_sync_points_verify_restore_with_json(workspace: Path, source: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "mirror", "protect", "--checksum", "--source", "src", "--target", "m", "--json")
    data = json.loads(out)
    assert code == 0 and (data["strategy"], data["variant"], data["extra"]["created"]) == ("mirror-sync", "checksum", 1)
    code, out, _ = _run(capsys, "mirror", "points", "--target", "m", "--json")
    assert [p["id"] for p in json.loads(out)] == ["now"]
    code, out, _ = _run(capsys, "mirror", "verify", "--target", "m", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    (workspace / "m" / "docs" / "a.txt").write_text("alpha\n" * 99 + "alphb\n")  # damage the mirror
    code, out, err = _run(capsys, "mirror", "verify", "--target", "m")
    assert code == 1 and "docs/a.txt" in out and "damaged" in err
    code, out, _ = _run(capsys, "mirror", "restore", "--target", "m", "--to", "back", "--json")
    assert code == 0 and (workspace / "back" / "docs" / "a.txt").exists()


def test_two_way_reports_conflicts(workspace: Path, source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "mirror", "protect", "--mode", "two-way", "--source", "src", "--target", "other")[0] == 0
    (workspace / "other" / "docs" / "a.txt").write_text("theirs\n")
    (source / "docs" / "a.txt").write_text("ours\n")
    code, out, _ = _run(capsys, "mirror", "protect", "--mode", "two-way", "--source", "src", "--target", "other")
    assert code == 0 and "conflict (both-modified) docs/a.txt" in out


def test_continuous_runs_for_a_while_and_prints_event_stats(workspace: Path, source: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    def later() -> None:
        time.sleep(0.5)
        (source / "new.txt").write_text("made while watching\n")

    writer = threading.Thread(target=later)
    writer.start()
    code, out, _ = _run(capsys, "mirror", "protect", "--mode", "continuous", "--source", "src", "--target", "live",
                        "--for", "1.5", "--delay", "0.1", "--json")
    writer.join()
    stats = json.loads(out)
    assert code == 0 and stats["events"]["created"] >= 1 and stats["paths_synced"] >= 1
    assert (workspace / "live" / "new.txt").read_text() == "made while watching\n"


@pytest.mark.parametrize("argv,message", [
    (["protect", "--source", "nowhere", "--target", "m"], "does not exist"),
    (["protect", "--mode", "two-way", "--checksum", "--source", "src", "--target", "m"], "--checksum applies"),
    (["protect", "--mode", "two-way", "--sync", "--source", "src", "--target", "m"], "--sync applies"),
    (["protect", "--mode", "continuous", "--sync", "--source", "src", "--target", "m", "--for", "1"],
     "--sync applies"),
    (["points", "--target", "src"], "is not a mirror"),
    (["restore", "--target", "src", "--mode", "sync", "--to", "x"], "not a mirror"),
    (["protect", "--source", "src", "--target", "src/inside"], "overlaps"),
    (["protect", "--source", "/etc", "--target", "m"], "outside the workspace"),
])
def test_bad_input_gives_one_line_and_exit_2(source: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                             message: str) -> None:
    code, _, err = _run(capsys, "mirror", *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
