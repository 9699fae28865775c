"""A restore never loses data: a folder that holds files is written into only with force.

The rule is ``targets.check_destination``; the mirror and backup restores go through it in
the library (an API caller is protected as the CLI is), and the CLIs give one line, exit 2.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench.cli.main import main
from workbench.disk.targets import check_destination
from workbench.errors import UsageError
from workbench.strategies.backup import BackupStrategy
from workbench.strategies.backup.repo import Repository
from workbench.strategies.backup.restore import restore_tree
from workbench.strategies.mirror.strategies import MirrorSync

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REFUSED = "is not empty: restore into a new or empty folder, or pass --force to overwrite it"


@pytest.fixture
def source(workspace: Path) -> Path:
    (workspace / "src" / "docs").mkdir(parents=True)
    (workspace / "src" / "docs" / "a.txt").write_text("kept copy\n")
    return workspace / "src"


@pytest.fixture
def occupied(workspace: Path) -> Path:
    """A folder that already holds the user's own work."""
    (workspace / "restored" / "docs").mkdir(parents=True)
    (workspace / "restored" / "mine.txt").write_text("my thesis\n")
    (workspace / "restored" / "docs" / "a.txt").write_text("newer local edit\n")
    return workspace / "restored"


def _untouched(folder: Path) -> bool:
    return ((folder / "mine.txt").read_text(), (folder / "docs" / "a.txt").read_text()) == \
        ("my thesis\n", "newer local edit\n")


# -- the rule itself (pure) ------------------------------------------------------------------

def test_new_paths_empty_folders_and_fresh_filesystem_roots_are_accepted(workspace: Path) -> None:
    check_destination(workspace / "new" / "deeper")
    (workspace / "empty").mkdir()
    check_destination(workspace / "empty")
    (workspace / "fresh-root" / "lost+found").mkdir(parents=True)  # what mkfs leaves
    check_destination(workspace / "fresh-root")


def test_a_folder_holding_anything_is_refused_unless_forced(workspace: Path, occupied: Path) -> None:
    with pytest.raises(UsageError, match=f"^'restored/' {REFUSED}$"):
        check_destination(occupied)
    check_destination(occupied, force=True)
    (workspace / "root" / "lost+found").mkdir(parents=True)
    (workspace / "root" / "lost+found" / "#1234").write_text("recovered by fsck")
    with pytest.raises(UsageError, match="not empty"):
        check_destination(workspace / "root")


def test_a_file_is_never_a_folder_destination(workspace: Path) -> None:
    (workspace / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        check_destination(workspace / "notes.txt", force=True)


# -- through the library API --------------------------------------------------------------------

def test_mirror_restore_into_a_folder_with_files_is_refused_and_deletes_nothing(
        workspace: Path, source: Path, occupied: Path) -> None:
    strategy = MirrorSync()
    strategy.protect(source, workspace / "mirror", now=NOW)
    with pytest.raises(UsageError, match=REFUSED):
        strategy.restore(workspace / "mirror", "now", occupied)
    assert _untouched(occupied)
    strategy.restore(workspace / "mirror", "now", occupied, force=True)  # forced: an exact copy
    assert not (occupied / "mine.txt").exists() and (occupied / "docs" / "a.txt").read_text() == "kept copy\n"
    strategy.restore(workspace / "mirror", "now", workspace / "new")
    assert (workspace / "new" / "docs" / "a.txt").read_text() == "kept copy\n"


def test_backup_restore_into_a_folder_with_files_is_refused_and_replaces_nothing(
        workspace: Path, source: Path, occupied: Path) -> None:
    strategy = BackupStrategy()
    point = strategy.protect(source, workspace / "repo", now=NOW)
    with pytest.raises(UsageError, match=REFUSED):
        strategy.restore(workspace / "repo", point.id, occupied)
    assert _untouched(occupied)
    strategy.restore(workspace / "repo", point.id, workspace / "new")
    assert (workspace / "new" / "docs" / "a.txt").read_text() == "kept copy\n"


def test_a_forced_backup_restore_replaces_what_the_snapshot_holds_and_keeps_the_rest(
        workspace: Path, source: Path, occupied: Path) -> None:
    point = BackupStrategy().protect(source, workspace / "repo", now=NOW)
    repo = Repository.open(workspace / "repo")
    restore_tree(repo, repo.read_snapshot(point.id)["tree"], occupied, force=True)
    assert (occupied / "docs" / "a.txt").read_text() == "kept copy\n"
    assert (occupied / "mine.txt").read_text() == "my thesis\n"


# -- through the CLI -----------------------------------------------------------------------------

def _one_line_refusal(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    return err


def test_cli_mirror_restore_is_refused_in_one_line_then_forced(
        workspace: Path, source: Path, occupied: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mirror", "protect", "--source", "src", "--target", "m"]) == 0
    assert REFUSED in _one_line_refusal(capsys, ["mirror", "restore", "--target", "m", "--to", "restored"])
    assert _untouched(occupied)
    assert main(["mirror", "restore", "--target", "m", "--to", "restored", "--force"]) == 0
    assert (occupied / "docs" / "a.txt").read_text() == "kept copy\n"


def test_cli_backup_restore_is_refused_in_one_line(
        workspace: Path, source: Path, occupied: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup", "protect", "--source", "src", "--target", "repo"]) == 0
    assert REFUSED in _one_line_refusal(capsys, ["backup", "restore", "--target", "repo", "--to", "restored"])
    assert _untouched(occupied)


def test_cli_backup_restore_with_force_writes_over_the_folder(
        workspace: Path, source: Path, occupied: Path) -> None:
    assert main(["backup", "protect", "--source", "src", "--target", "repo"]) == 0
    assert main(["backup", "restore", "--target", "repo", "--to", "restored", "--force"]) == 0
    assert (occupied / "docs" / "a.txt").read_text() == "kept copy\n"


@pytest.mark.root
def test_cli_backup_restore_onto_a_disk_with_files_needs_force(
        system_disk: Path, workspace: Path, source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.disk.mounting import mounted

    with mounted(system_disk, role="root") as root:
        (root / "mine.txt").write_text("my thesis\n")
    assert main(["backup", "protect", "--source", "src", "--target", "repo"]) == 0
    err = _one_line_refusal(capsys, ["backup", "restore", "--target", "repo", "--to-disk", "system.img"])
    assert "the disk 'system.img' already holds files" in err and "--force" in err
    with mounted(system_disk, role="root", readonly=True) as root:
        assert sorted(p.name for p in root.iterdir()) == ["lost+found", "mine.txt"]
