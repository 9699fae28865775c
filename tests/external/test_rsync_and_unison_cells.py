"""The mirror tools in real cells: protect -> a deletion -> recovery -> score, judged like every engine.

A mirror keeps no history: the tool's own next sync deletes the files from the
mirror too, so recovery has nothing to bring back. A user who notices before
that sync (the control cell: the damage is seen the hour it happened) still
finds the files in the mirror.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiment"))
from cellkit import CellRunner, fault_files, missing_paths, scenario  # noqa: E402

from workbench.experiment import registry  # noqa: E402
from workbench.strategies.base import RestorePoint  # noqa: E402

pytestmark = [pytest.mark.root, pytest.mark.slow]

#: Hourly syncs from hour 0; three files deleted at 05:00, after that hour's sync.
DELETION = scenario("deletion", [("deletion", "day 0 05:00", {"count": 3})], "day 0 07:00")
#: The same damage, noticed at once: before the next sync.
NOTICED_AT_ONCE = scenario("deletion", [("deletion", "day 0 05:00", {"count": 3})], "day 0 05:00")

ENGINES = ["mirror-sync/rsync", "mirror-sync/rsync:checksum", "mirror-two-way/unison"]
Sync = tuple[RestorePoint, set[str]]


@pytest.fixture
def run(workspace: Path, tmp_path: Path) -> CellRunner:
    return CellRunner(workspace, tmp_path / "details")


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> list[Sync]:
    """Each sync of the cell's engine: its point, and the files its own listing shows in the mirror after it."""
    seen: list[Sync] = []
    for name in {engine.partition(":")[0] for engine in ENGINES}:
        monkeypatch.setitem(registry._FACTORIES, name, _recording(registry._FACTORIES[name], seen))
    return seen


def _recording(make, seen: list[Sync]):
    def factory(target: Path, **common):
        protection = make(target, **common)
        engine = protection.strategy
        protect = engine.protect

        def protect_and_list(source: Path, target: Path, **options) -> RestorePoint:
            point = protect(source, target, **options)
            seen.append((point, {e.path for e in engine.listing(target, point.id) if e.kind == "file"}))
            return point

        engine.protect = protect_and_list
        return protection

    return factory


@pytest.mark.parametrize("engine", ENGINES)
def test_the_tools_next_sync_deletes_the_files_from_the_mirror_too(run, syncs: list[Sync], engine: str) -> None:
    row, details = run(engine, DELETION)
    deleted = fault_files(details, "deletion")
    assert len(deleted) == 3
    assert missing_paths(details, "file") == deleted, "the judge finds exactly the deleted files gone"
    assert row["files_missing"] == 3 and row["files_restored"] == 0
    in_mirror = {path.removeprefix("home/") for path in deleted}  # the mirror holds the users' folders
    first_without = next(i for i, (_, files) in enumerate(syncs) if not in_mirror & files)
    assert first_without > 0 and in_mirror <= syncs[first_without - 1][1], "the mirror had them before"
    point, _ = syncs[first_without]
    assert in_mirror <= set(point.extra["deleted_paths"]), "the tool itself reports deleting them"
    assert all(not in_mirror & files for _, files in syncs[first_without:]), "and they never come back"


@pytest.mark.parametrize("engine", ["mirror-sync/rsync", "mirror-two-way/unison"])
def test_noticed_before_the_next_sync_the_mirror_still_has_them(run, engine: str) -> None:
    row, details = run(engine, NOTICED_AT_ONCE)
    deleted = fault_files(details, "deletion")
    assert len(deleted) == 3
    assert missing_paths(details) == set()
    assert row["files_missing"] == 0 and row["files_restored"] == 3
    assert row["came_back_clean"] is True
