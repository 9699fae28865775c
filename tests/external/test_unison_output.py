"""unison's text as the adapter reads it (captured from 2.52 -batch); conflicts recorded as unison reports them."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench.errors import OperationFailed
from workbench.strategies.base import Lister
from workbench.strategies.external import unison
from workbench.strategies.external.unison import UnisonMirror, profile_text
from workbench.strategies.external.unison_output import Action, parse

ROOTS = ("/ws/mnt/cell-source/home", "/ws/cells/t/target/mirror")

#: stderr of a run with one conflict, one update towards the mirror, one copy back and one deletion.
STDERR = """Unison 2.52.1 (ocaml 4.13.1): Contacting server...
Looking for changes
Reconciling changes
Propagating updates
Unison 2.52.1 (ocaml 4.13.1) started propagating changes at 23:02:15.04 on 01 Dec 2026
[CONFLICT] Skipping bob/notes from here.txt
  contents changed on both sides
[BGN] Updating file alice/a b.txt from /ws/mnt/cell-source/home to /ws/cells/t/target/mirror
[END] Updating file alice/a b.txt
[BGN] Copying alice/new from /ws/cells/t/target/mirror to /ws/mnt/cell-source/home
[END] Copying alice/new
[BGN] Deleting alice/Documents from /ws/cells/t/target/mirror
[END] Deleting alice/Documents
Unison 2.52.1 (ocaml 4.13.1) finished propagating changes at 23:02:15.05 on 01 Dec 2026, 0.011 s
Saving synchronizer state
Synchronization complete at 23:02:15  (3 items transferred, 1 skipped, 0 failed)
  skipped: bob/notes from here.txt (contents changed on both sides)
"""
STDOUT = """changed  <-?-> changed    bob/notes from here.txt
 33%  00:00 ETA                33%  00:00 ETA               100%  00:00 ETA
"""


def test_the_summary_the_conflicts_and_the_actions() -> None:
    report = parse(STDOUT, STDERR, ROOTS)
    assert (report.transferred, report.skipped, report.failed, report.complete) == (3, 1, 0, True)
    assert report.conflicts == [{"path": "bob/notes from here.txt", "reason": "contents changed on both sides"}]
    assert report.actions == [Action("update", "alice/a b.txt", ROOTS[1]), Action("copy", "alice/new", ROOTS[0]),
                              Action("delete", "alice/Documents", ROOTS[1])]
    assert report.paths("delete", ROOTS[1]) == ["alice/Documents"] and report.paths("delete", ROOTS[0]) == []


def test_nothing_to_do_failures_and_a_fatal_error() -> None:
    quiet = parse("Nothing to do: replicas have not changed since last sync.\n", "", ROOTS)
    assert quiet.complete and quiet.transferred == 0 and quiet.actions == []
    failed = parse("", "Synchronization incomplete at 10:00:00  (1 item transferred, 0 skipped, 1 failed)\n"
                       "  failed: alice/big (Error in copying: No space left on device)\n", ROOTS)
    assert (failed.complete, failed.transferred, failed.failed) == (False, 1, 1)
    assert failed.failures == [{"path": "alice/big", "reason": "Error in copying: No space left on device"}]
    fatal = parse("", "Unison 2.52.1 (ocaml 4.13.1): Contacting server...\n"
                      "Fatal error: Wrong number of roots: 2 expected, but 4 provided (/a, /b, /c, /d)\n"
                      "(Maybe you specified roots both on the command line and in the profile?)\n", ROOTS)
    assert fatal.fatal == "Wrong number of roots: 2 expected, but 4 provided (/a, /b, /c, /d)"
    refused = parse("Aborting...\n", "Unison 2.52.1 (ocaml 4.13.1): Contacting server...\nLooking for changes\n"
                    "Reconciling changes\nThe root of one of the replicas has been completely emptied.\n"
                    "Unison may delete everything in the other replica.  (Set the \n", ROOTS)
    assert refused.fatal == "The root of one of the replicas has been completely emptied."


def test_the_profile_names_both_roots_and_batch_mode() -> None:
    text = profile_text(Path(ROOTS[0]), Path(ROOTS[1]))
    assert f"root = {ROOTS[0]}\nroot = {ROOTS[1]}\n" in text
    assert {"batch = true", "times = true", "owner = true", "group = true", "ignore = Path lost+found"} <= set(
        text.splitlines())


def test_the_engine_fits_the_strategy_and_lister_protocols() -> None:
    assert isinstance(UnisonMirror(), Lister)  # the Strategy protocol: tests/test_targets.py, checked by mypy


# -- a real unison, on two folders (no disks) -------------------------------------------------------

def test_a_conflict_is_recorded_as_unison_reports_it_and_both_versions_stay(tmp_path: Path) -> None:
    source, mirror = tmp_path / "home", tmp_path / "target" / "mirror"
    (source / "alice").mkdir(parents=True)
    (source / "alice" / "plan.txt").write_text("first\n")
    engine = UnisonMirror()
    first = engine.protect(source, mirror, now=datetime(2026, 1, 5, 1, tzinfo=UTC))
    assert first.extra["exit_code"] == 0 and (mirror / "alice" / "plan.txt").read_text() == "first\n"
    assert (unison.state_folder(mirror) / "workbench.prf").is_file(), "the profile is kept beside the mirror"
    (source / "alice" / "plan.txt").write_text("the user's edit\n")
    (mirror / "alice" / "plan.txt").write_text("an edit on the other side\n")
    point = engine.protect(source, mirror, now=datetime(2026, 1, 5, 2, tzinfo=UTC))
    assert point.extra["exit_code"] == 1, "unison's 'some files were skipped'"
    assert point.extra["conflicts"] == [{"path": "alice/plan.txt", "reason": "contents changed on both sides"}]
    assert engine.points(mirror)[0].extra["conflicts"] == point.extra["conflicts"]
    assert (source / "alice" / "plan.txt").read_text() == "the user's edit\n"
    assert (mirror / "alice" / "plan.txt").read_text() == "an edit on the other side\n"


def test_verify_compares_the_mirror_with_the_listing_of_the_last_sync(tmp_path: Path) -> None:
    source, mirror = tmp_path / "home", tmp_path / "mirror"
    (source / "docs").mkdir(parents=True)
    for name in ("a.txt", "b.txt", "c.txt"):
        (source / "docs" / name).write_text(name * 100)
    engine = UnisonMirror()
    engine.protect(source, mirror, now=datetime(2026, 1, 5, 1, tzinfo=UTC))
    assert engine.verify(mirror).damage == []
    os.rename(mirror / "docs" / "a.txt", mirror / "docs" / "a.txt.locked")
    (mirror / "docs" / "b.txt").write_text("encrypted")
    found = {(d.where, d.detail) for d in engine.verify(mirror).damage}
    assert found == {("docs/a.txt", "missing from the mirror since the last sync"),
                     ("docs/a.txt.locked", "not there after the last sync"),
                     ("docs/b.txt", "size or mtime changed since the last sync")}


def test_a_fatal_unison_run_is_a_failed_protect(tmp_path: Path) -> None:
    source, mirror = tmp_path / "home", tmp_path / "mirror"
    source.mkdir()
    (source / "f").write_text("x")
    engine = UnisonMirror()
    engine.protect(source, mirror, now=datetime(2026, 1, 5, 1, tzinfo=UTC))
    (source / "f").unlink()  # every file of one replica gone: unison asks before deleting it all, and stops
    with pytest.raises(OperationFailed, match=r"unison stopped \(exit code 3\): The root of one of the replicas"):
        engine.protect(source, mirror, now=datetime(2026, 1, 5, 2, tzinfo=UTC))
