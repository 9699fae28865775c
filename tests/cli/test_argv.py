"""The command line's own contract: argv becomes one call of a command function; errors are one line and a code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench.cli.main import main
from workbench.commands import image, mirror
from workbench.commands.common import PointList
from workbench.strategies.base import RestorePoint

POINT = RestorePoint("0001", datetime(2026, 1, 1, tzinfo=UTC), "full", stored_bytes=5)


def test_argv_becomes_keyword_arguments(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    calls = []
    monkeypatch.setattr(image, "image_protect", lambda **kw: calls.append(kw) or POINT)
    assert main(["image", "protect", "--disk", "pc.img", "--target", "usb.img:/images", "--full", "--level", "5",
                 "--now", "2026-01-31T12:00", "--json"]) == 0
    assert calls == [{"disk": "pc.img", "target": "usb.img:/images", "now": "2026-01-31T12:00", "full": True,
                      "level": 5, "freeze": False, "sync": False}]
    assert '"id": "0001"' in capsys.readouterr().out


def test_a_mirror_verb_takes_its_mode_from_the_table(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    calls = []
    monkeypatch.setattr(mirror, "mirror_points", lambda **kw: calls.append(kw) or PointList([], 0))
    assert main(["mirror", "points", "--target", "m", "--mode", "two-way"]) == 0
    assert calls == [{"target": "m", "mode": "two-way"}]
    with pytest.raises(SystemExit, match="2"):
        main(["mirror", "points", "--target", "m", "--mode", "mirror-two-way"])
    assert "invalid choice: 'mirror-two-way'" in capsys.readouterr().err


@pytest.mark.parametrize("argv,message,hint", [
    (["image", "protect", "--target", "t"], "the following arguments are required: --disk",
     "workbench image protect --help"),
    (["backup", "restore", "--target", "r", "--to", "a", "--to-disk", "b.img"], "not allowed with argument",
     "workbench backup restore --help"),
    (["fault", "inject", "flood", "--disk", "pc.img"], "invalid choice: 'flood'", "workbench fault inject --help"),
])
def test_a_usage_error_is_one_line_that_points_to_help(argv: list[str], message: str, hint: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and len(err.strip().splitlines()) == 1
    assert message in err and f"(see '{hint}')" in err


@pytest.mark.parametrize("argv,message", [
    (["fault", "inject", "boot-wipe", "--disk", "pc.img", "--count", "3"],
     "unknown option '--count' for a boot-wipe fault; allowed: --variant"),
    (["fault", "inject", "bitrot", "--disk", "pc.img", "--count", "many"], "count 'many' is not a valid value"),
    (["fault", "inject", "target-corruption"], "target corruption needs --target"),
    (["fault", "inject", "crash-during-protect", "--after", "1"], "a crash needs the command to run"),
    (["compare", "--strategies", "rsync", "--out", "o"], "unknown strategy 'rsync'"),
    (["compare", "--strategies", "mirror-sync:sha1", "--out", "o"], "variants are quick-check, checksum"),
    (["compare", "--schedule", "backup=monthly", "--out", "o"], "is not a schedule"),
])
def test_bad_values_are_one_line_and_exit_2(argv: list[str], message: str, workspace: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
