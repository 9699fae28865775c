"""Two-way sync: propagation both ways, conflicts that keep both versions, and SIGKILL safety."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.strategies.mirror import record
from workbench.strategies.mirror.tree import scan
from workbench.strategies.mirror.twoway import load_state, signature, sync_two_way

REPO = Path(__file__).resolve().parents[2]


def _files(root: Path) -> dict[str, bytes]:
    return {rel: (root / rel).read_bytes() for rel, e in scan(root, exclude_top=record.NAMES).items() if e.kind == "f"}


def _state_matches_both_sides(left: Path, right: Path) -> bool:
    """The saved state (computed from the run, not rescanned) is exactly what both sides hold."""
    sides = [{p: signature(e) for p, e in scan(root, exclude_top=record.LEFT_OUT, xattrs=False).items() if p}
             for root in (left, right)]
    return load_state(right) == sides[0] == sides[1]


def _write(path: Path, text: str, *, age_s: float = 0.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if age_s:
        stamp = time.time() - age_s
        os.utime(path, (stamp, stamp))


@pytest.fixture
def synced(workspace: Path) -> tuple[Path, Path]:
    left, right = workspace / "left", workspace / "right"
    for number in range(10):
        _write(left / "docs" / f"f{number}.txt", f"original {number}\n", age_s=3600)
    sync_two_way(left, right)
    assert _files(left) == _files(right)
    return left, right


def test_changes_on_either_side_propagate(synced: tuple[Path, Path]) -> None:
    left, right = synced
    _write(left / "docs" / "f1.txt", "left edit\n")
    _write(right / "docs" / "f2.txt", "right edit\n")
    (left / "docs" / "f3.txt").unlink()
    (right / "docs" / "f4.txt").unlink()
    _write(right / "new" / "deep" / "n.txt", "new on the right\n")
    result = sync_two_way(left, right)
    assert _files(left) == _files(right)
    both = _files(left)
    assert both["docs/f1.txt"] == b"left edit\n" and both["docs/f2.txt"] == b"right edit\n"
    assert "docs/f3.txt" not in both and "docs/f4.txt" not in both
    assert both["new/deep/n.txt"] == b"new on the right\n"
    assert (result.to_target, result.to_source) == (1, 4)  # f1; f2 + the two new folders + n.txt
    assert (result.deleted_on_target, result.deleted_on_source) == (1, 1)
    assert result.conflicts == []
    assert (right / record.TWOWAY_NAME).exists() and not (left / record.TWOWAY_NAME).exists()
    assert _state_matches_both_sides(left, right)


def test_same_file_edited_on_both_sides_keeps_both_versions(synced: tuple[Path, Path]) -> None:
    left, right = synced
    _write(left / "docs" / "f5.txt", "left version\n", age_s=60)
    _write(right / "docs" / "f5.txt", "right version, newer\n")
    result = sync_two_way(left, right)
    assert _files(left) == _files(right)
    [conflict] = result.conflicts
    assert conflict.kind == "both-modified" and conflict.path == "docs/f5.txt"
    assert conflict.copy and conflict.copy.startswith("docs/f5.txt.conflict-source-")
    both = _files(left)
    assert both["docs/f5.txt"] == b"right version, newer\n"  # newer wins the name
    assert both[conflict.copy] == b"left version\n"  # and the other version survives beside it
    assert _state_matches_both_sides(left, right)
    again = sync_two_way(left, right)
    assert again.conflicts == [] and again.to_target == again.to_source == 0


def test_modify_delete_conflict_keeps_the_modified_version(synced: tuple[Path, Path]) -> None:
    left, right = synced
    _write(left / "docs" / "f6.txt", "edited on the left\n")
    (right / "docs" / "f6.txt").unlink()
    result = sync_two_way(left, right)
    assert [(c.kind, c.path) for c in result.conflicts] == [("modify-delete", "docs/f6.txt")]
    assert (right / "docs" / "f6.txt").read_text() == "edited on the left\n"
    assert _files(left) == _files(right)


def test_identical_edits_on_both_sides_are_not_a_conflict(synced: tuple[Path, Path]) -> None:
    left, right = synced
    _write(left / "docs" / "f7.txt", "same words\n")
    _write(right / "docs" / "f7.txt", "same words\n")
    assert sync_two_way(left, right).conflicts == []


def _diverge(left: Path, right: Path) -> set[bytes]:
    """Change both sides, including conflicts; return every version that must survive."""
    _write(left / "docs" / "f1.txt", "v-left-1\n")
    _write(right / "docs" / "f2.txt", "v-right-2\n")
    _write(left / "docs" / "f3.txt", "v-left-3\n", age_s=30)
    _write(right / "docs" / "f3.txt", "v-right-3\n")
    _write(left / "docs" / "f4.txt", "v-left-4\n")
    (right / "docs" / "f4.txt").unlink()
    (left / "docs" / "f5.txt").unlink()
    _write(right / "docs" / "f8.txt", "v-right-8\n", age_s=30)
    _write(left / "docs" / "f8.txt", "v-left-8\n")
    for number in range(6):
        _write(right / "more" / f"m{number}.txt", f"v-right-m{number}\n")
    return {b"v-left-1\n", b"v-right-2\n", b"v-left-3\n", b"v-right-3\n", b"v-left-4\n", b"v-right-8\n",
            b"v-left-8\n"} | {f"v-right-m{n}\n".encode() for n in range(6)}


_CHILD = """
import os, signal, sys
from pathlib import Path
from workbench.strategies.mirror import tree, twoway
where, count = sys.argv[3], int(sys.argv[4])
calls = 0
def kill_now():
    global calls
    calls += 1
    if calls == count:
        os.kill(os.getpid(), signal.SIGKILL)
if where == "write":  # kill just before the N-th file write: inside a conflict, after the loser moved aside
    real = tree.write_file
    def write_file(*args, **kwargs):
        kill_now()
        return real(*args, **kwargs)
    tree.write_file = write_file
    twoway.sync_two_way(Path(sys.argv[1]), Path(sys.argv[2]))
else:  # kill after the N-th action
    twoway.sync_two_way(Path(sys.argv[1]), Path(sys.argv[2]), progress=lambda done, total: kill_now())
print("finished")
"""


@pytest.mark.parametrize("where,count", [("write", 1), ("write", 2), ("write", 3), ("write", 5), ("write", 9),
                                         ("action", 1), ("action", 4), ("action", 12)])
def test_sigkill_mid_sync_never_loses_a_version(synced: tuple[Path, Path], where: str, count: int) -> None:
    left, right = synced
    versions = _diverge(left, right)
    child = subprocess.run([sys.executable, "-c", _CHILD, str(left), str(right), where, str(count)],
                           cwd=REPO, capture_output=True, text=True, timeout=60)
    assert child.returncode == -9, child.stderr  # really killed mid-sync
    after_kill = set(_files(left).values()) | set(_files(right).values())
    assert versions <= after_kill  # right after the kill, every version is still somewhere
    sync_two_way(left, right)
    assert _files(left) == _files(right)
    assert versions <= set(_files(left).values())
    assert _state_matches_both_sides(left, right)


def test_a_file_edited_while_the_sync_runs_is_left_alone_and_kept(synced: tuple[Path, Path]) -> None:
    left, right = synced
    _write(left / "docs" / "f1.txt", "left edit 1\n")
    _write(left / "docs" / "f9.txt", "left edit 9\n")

    def meanwhile(done: int, total: int) -> None:
        if done == 1:  # f1 is across; before f9 goes, someone edits it on the right
            _write(right / "docs" / "f9.txt", "right edit during the sync\n")

    first = sync_two_way(left, right, progress=meanwhile)
    assert first.skipped == 1 and (right / "docs" / "f9.txt").read_text() == "right edit during the sync\n"
    second = sync_two_way(left, right)
    assert [c.kind for c in second.conflicts] == ["both-modified"]
    contents = set(_files(right).values())
    assert {b"left edit 9\n", b"right edit during the sync\n"} <= contents and _files(left) == _files(right)


def test_a_state_made_with_another_source_deletes_nothing(synced: tuple[Path, Path], workspace: Path) -> None:
    left, right = synced
    stranger = workspace / "stranger"
    _write(stranger / "docs" / "f0.txt", "original 0\n", age_s=3600)
    result = sync_two_way(stranger, right)  # the state knows f1..f9, but not for this source
    assert result.deleted_on_target == 0 and len(_files(right)) == 10 and len(_files(stranger)) == 10
