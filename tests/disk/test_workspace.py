"""The workspace rules (pure: no root, no disks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import workspace as rules
from workbench.errors import UsageError


def test_default_location_is_under_the_users_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(rules.ENV_VAR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = tmp_path / "home" / ".local" / "share" / "workbench"
    assert rules.home() == expected.resolve()
    assert expected.is_dir(), "the workspace is created on first use"


def test_a_relative_workbench_home_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(rules.ENV_VAR, "ws")
    with pytest.raises(UsageError, match=r"\$WORKBENCH_HOME must be an absolute path, not 'ws'"):
        rules.home()
    assert not (tmp_path / "ws").exists()


def test_a_tilde_in_workbench_home_means_the_users_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(rules.ENV_VAR, "~/ws")
    assert rules.home() == (tmp_path / "ws").resolve()


def test_relative_paths_resolve_inside_whatever_the_current_directory(
        workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pc.img").write_bytes(b"not this one")
    monkeypatch.chdir(elsewhere)
    assert rules.resolve("pc.img") == workspace / "pc.img"
    assert rules.resolve("disks/../pc.img") == workspace / "pc.img"
    assert rules.resolve(workspace / "pc.img") == workspace / "pc.img"
    with pytest.raises(UsageError, match="does not exist in the workspace"):
        rules.resolve("pc.img", must_exist=True)


def test_new_file_refuses_to_clobber_unless_told(workspace: Path) -> None:
    (workspace / "taken.json").write_text("keep")
    with pytest.raises(UsageError, match="already exists"):
        rules.new_file("taken.json")
    assert rules.new_file("taken.json", overwrite=True) == workspace / "taken.json"
    (workspace / "folder").mkdir()
    with pytest.raises(UsageError, match="is a directory"):
        rules.new_file("folder", overwrite=True)
    assert rules.new_file("deep/new.json") == workspace / "deep" / "new.json"
    assert (workspace / "deep").is_dir()
