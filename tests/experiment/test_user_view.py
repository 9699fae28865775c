"""The live tree as the recovering user reads it: within the scope, every file read back, the ransom note seen."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import blake3

from workbench.experiment.user_view import WhatTheUserSees, read_live_tree
from workbench.faults.ransomware import NOTE_NAME


def test_the_live_tree_is_read_within_the_scope_with_each_files_content(tmp_path: Path) -> None:
    (tmp_path / "home" / "alice").mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    (tmp_path / "home" / "alice" / "a.txt").write_bytes(b"alice's notes")
    (tmp_path / "etc" / "hostname").write_text("pc\n")
    os.symlink("a.txt", tmp_path / "home" / "alice" / "latest")
    live = read_live_tree(tmp_path, ("home",))
    assert set(live.entries) == {"home", "home/alice", "home/alice/a.txt", "home/alice/latest"}
    entry = live.entries["home/alice/a.txt"]
    assert (entry.kind, entry.size, entry.content) == ("file", 13, blake3.blake3(b"alice's notes").hexdigest())
    assert live.entries["home/alice/latest"].kind == "symlink" and live.entries["home/alice/latest"].content is None
    assert live.ransom is None and live.unreadable() == []
    assert "etc/hostname" in read_live_tree(tmp_path, ()).entries, "no folders: the whole tree"


def test_the_ransom_note_and_the_renamed_files_are_in_sight(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "report.doc.locked").write_bytes(b"\x8f\x11")
    (home / NOTE_NAME).write_text("pay up\n")
    os.utime(home / NOTE_NAME, ns=(2_000, 2_000))
    live = read_live_tree(tmp_path, ("home",))
    assert live.ransom is not None
    assert live.ransom.notes == (f"home/{NOTE_NAME}",) and live.ransom.since_ns == 2_000
    assert live.ransom.locked == ("home/report.doc.locked",)


def test_what_the_user_sees_holds_no_ground_truth() -> None:
    """Recovery's inputs, by type: nothing of the truth package (manifests, judge) and no fault record."""
    def types_of(cls: type, seen: set[type]) -> set[type]:
        import typing

        hints = typing.get_type_hints(cls)
        found = set()
        for hint in hints.values():
            for arg in [hint, *typing.get_args(hint), *(a for h in typing.get_args(hint) for a in typing.get_args(h))]:
                if isinstance(arg, type) and arg not in seen:
                    found.add(arg)
        seen |= found
        for arg in list(found):
            if dataclasses.is_dataclass(arg):
                types_of(arg, seen)
        return seen

    modules = {t.__module__ for t in types_of(WhatTheUserSees, set())}
    assert not any(m.startswith(("workbench.truth", "workbench.faults")) for m in modules), modules
