"""A mirror whose own record is damaged: verify and points report damage (exit 1), the next sync rebuilds it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli.main import main
from workbench.faults.ransomware import encrypt_reachable_targets
from workbench.strategies.mirror import record
from workbench.strategies.mirror.sync import sync_tree


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def mirrored(workspace: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    for name in ("a.txt", "b.txt"):
        (workspace / "src" / "docs").mkdir(parents=True, exist_ok=True)
        (workspace / "src" / "docs" / name).write_text(f"{name}\n" * 50)
    assert _run(capsys, "mirror", "protect", "--checksum", "--source", "src", "--target", "m")[0] == 0
    return workspace / "m"


def test_ransomware_on_the_mirror_is_damage_found_and_the_next_sync_rebuilds_the_record(
        mirrored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    struck = encrypt_reachable_targets([mirrored], seed=1)  # the injector walks the mirror, its record too
    assert str(mirrored / record.SYNC_NAME) in struck.files and not (mirrored / record.SYNC_NAME).exists()
    code, out, err = _run(capsys, "mirror", "verify", "--target", "m")
    assert code == 1 and f"record {record.SYNC_NAME}" in out and "damaged" in err, "damage, not a refusal"
    code, _, err = _run(capsys, "mirror", "points", "--target", "m")
    assert code == 1 and "next sync rebuilds it" in err and len(err.strip().splitlines()) == 1
    code, out, _ = _run(capsys, "mirror", "protect", "--checksum", "--source", "src", "--target", "m", "--json")
    assert code == 0 and json.loads(out)["extra"]["files"] == 2
    rebuilt = record.load_sync(mirrored)
    assert rebuilt is not None and sorted(rebuilt["hashes"]) == ["docs/a.txt", "docs/b.txt"]
    assert not (mirrored / (record.SYNC_NAME + ".locked")).exists(), "the full comparison removed the trace"
    code, out, _ = _run(capsys, "mirror", "verify", "--target", "m", "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_an_unreadable_record_widens_a_scoped_sync_to_the_whole_tree(mirrored: Path, workspace: Path) -> None:
    (mirrored / record.SYNC_NAME).write_bytes(b"\x8e\x01 not json")
    (workspace / "src" / "docs" / "b.txt").write_text("changed\n")
    result = sync_tree(workspace / "src", mirrored, checksum=True, only=["docs/a.txt"], mode="continuous")
    assert result.files == 2 and "docs/b.txt" in result.written, "the whole tree was compared"
    assert sorted(record.load_sync(mirrored)["hashes"]) == ["docs/a.txt", "docs/b.txt"]


def test_a_folder_with_no_record_and_no_trace_of_one_is_still_refused(workspace: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (workspace / "src").mkdir()
    (workspace / "src" / "a.txt").write_text("a\n")
    (workspace / "other").mkdir()
    (workspace / "other" / "precious.txt").write_text("keep me\n")
    code, _, err = _run(capsys, "mirror", "protect", "--source", "src", "--target", "other")
    assert code == 2 and "already holds files" in err
    assert (workspace / "other" / "precious.txt").read_text() == "keep me\n"
