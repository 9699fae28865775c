"""The real tools as ``Lister``s: a point's listing as the tool shows it, and a restore of chosen paths
into the live tree, which is what recovery uses to bring back only what a user is missing."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench.errors import UsageError
from workbench.strategies.external import borg, restic, rsnapshot

pytestmark = [pytest.mark.root, pytest.mark.slow]

MODULES = {"restic": restic, "borg": borg, "rsnapshot": rsnapshot}


@pytest.mark.parametrize("tool", list(MODULES))
def test_listing_then_restoring_only_the_missing_paths(tool: str, workspace: Path) -> None:
    engine = MODULES[tool].make(folders=("home",), state=workspace / "state")
    source, target = workspace / "source", workspace / "repo"
    docs = source / "home" / "alice" / "Documents [old]"
    docs.mkdir(parents=True)
    (docs / "report*.txt").write_bytes(os.urandom(50_000))
    (docs / "keep.txt").write_text("stays")
    (source / "home" / "bob").mkdir()
    (source / "home" / "bob" / "notes.md").write_text("bob's")
    point = engine.protect(source, target, now=datetime(2026, 1, 5, 2, tzinfo=UTC))

    listed = {entry.path: entry for entry in engine.listing(target, point.id)}
    wanted = "home/alice/Documents [old]/report*.txt"
    assert listed[wanted].kind == "file" and listed[wanted].size == 50_000
    assert listed["home/bob"].kind == "dir"
    # restic lists nanoseconds; borg 1.2 lists microseconds (rounded), rsnapshot's folders keep them
    assert abs(listed[wanted].mtime_ns - (docs / "report*.txt").stat().st_mtime_ns) < 1000

    data = (docs / "report*.txt").read_bytes()
    (docs / "report*.txt").unlink()
    (source / "home" / "bob" / "notes.md").unlink()
    with pytest.raises(UsageError, match="not empty"):
        engine.restore_paths(target, point.id, [wanted], source)
    report = engine.restore_paths(target, point.id, [wanted, "home/bob"], source, force=True)
    assert (docs / "report*.txt").read_bytes() == data and (source / "home/bob/notes.md").read_text() == "bob's"
    assert report.files == 2 and (docs / "keep.txt").read_text() == "stays"
