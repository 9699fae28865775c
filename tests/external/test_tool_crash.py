"""restic and borg killed mid-run: the kill lands while the tool holds its lock, the next run
succeeds, and every earlier snapshot still restores."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cellkit import fault_files, scenario

from workbench.experiment.registry import make_protection
from workbench.experiment.scenario import Scenario
from workbench.faults.crash import crash_during, folder_bytes

pytestmark = [pytest.mark.root, pytest.mark.slow]

#: What a tool holds in its repository while it writes: restic's lock file, borg's lock folder.
LOCKS = {"backup/restic": "locks/", "backup/borg": "lock.exclusive/"}
#: The next run says how the tool got past what the killed one left.
RECOVERED = {"backup/restic": "restic unlock removed 1 stale lock", "backup/borg": "borg removed the lock"}

#: The share of a typical run's bytes after which the kill comes: past the first few bytes, which
#: for restic are its lock, first written as a temporary file and renamed once fsynced (killed
#: before the rename, restic held no lock yet: the file is not one). Then restic writes packs
#: while it holds its lock; its last write (the snapshot) comes just before it unlocks, so a
#: larger share of a small day's run could pass within one poll of the trigger. borg's first
#: byte is the shared lock of the 'borg list' before 'borg create', and every byte 'borg create'
#: writes (segments, then the index at commit) lands while it holds the lock.
SHARE = {"backup/restic": 0.001, "backup/borg": 0.01}


def _crash_then_deletion(strategy: str) -> Scenario:
    return scenario("crash-then-deletion", [
        ("crash-during-protect", "day 1 02:00", {"after_fraction": SHARE[strategy]}),
        ("deletion", "day 2 10:00", {"whole_folder": True})], "day 2 12:00")


def _held_lock(record: dict, strategy: str) -> list[str]:
    """The lock files the killed tool left: restic's are named by a 64-digit hex id (not a temporary file)."""
    held = [name for name in record["details"]["existed"] if name.startswith(LOCKS[strategy])]
    if strategy == "backup/restic":
        return [name for name in held if re.fullmatch(r"locks/[0-9a-f]{64}", name)]
    return held


@pytest.mark.parametrize("strategy", ["backup/restic", "backup/borg"])
def test_a_cell_kills_the_tool_holding_its_lock_and_the_next_run_recovers(run, strategy: str) -> None:
    row, details = run(strategy, _crash_then_deletion(strategy))
    crash = next(f for f in details["faults"] if f["kind"] == "crash-during-protect")
    assert crash["details"]["killed"] and crash["details"]["returncode"] == -9, crash["details"]
    assert crash["details"]["orphans_reaped"] >= 1, "the tool itself was reaped, not left a zombie of init's"
    assert _held_lock(crash, strategy), f"the tool held its lock when it was killed: {crash['details']['existed']}"
    after = [r for r in details["protect_runs"] if r["time"] > "2026-01-06T02:00"]
    assert after and "error" not in after[0], "the run after the kill succeeds"
    assert any(RECOVERED[strategy] in note for note in after[0]["notes"]), after[0]
    assert row["protect_failures"] == 0
    assert fault_files(details, "deletion") and row["files_missing"] == 0 and row["files_corrupted"] == 0
    assert row["came_back_clean"] and not row["damage_detected"]


@pytest.mark.parametrize("strategy", ["backup/restic", "backup/borg"])
def test_every_earlier_snapshot_restores_after_the_kill(strategy: str, workspace: Path) -> None:
    target, scratch, source = workspace / "target", workspace / "scratch", workspace / "source"
    protection = make_protection(strategy, target=target, scratch=scratch)
    engine = protection.strategy
    files = {"home/alice/one.bin": os.urandom(200_000)}
    for name, data in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    first = engine.protect(source, target, now=datetime(2026, 1, 5, 2, tzinfo=UTC))
    expected = {first.id: dict(files)}

    (source / "home/alice/big.bin").write_bytes(os.urandom(48 << 20))  # long enough a run to kill mid-way
    argv = [sys.executable, "-m", "workbench.experiment.child", json.dumps({
        "strategy": strategy, "target": str(target), "scratch": str(scratch), "source": str(source),
        "now": "2026-01-06T02:00:00+00:00", "event": "daily"})]
    record = crash_during(argv, when_path=target, min_bytes=folder_bytes(target) + (4 << 20)).to_json()
    assert record["details"]["killed"] and record["details"]["returncode"] == -9, record["details"]
    assert _held_lock(record, strategy), record["details"]["existed"]

    files["home/alice/two.bin"] = os.urandom(100_000)
    (source / "home/alice/two.bin").write_bytes(files["home/alice/two.bin"])
    (source / "home/alice/big.bin").unlink()
    third = engine.protect(source, target, now=datetime(2026, 1, 7, 2, tzinfo=UTC))
    assert any(RECOVERED[strategy] in note for note in third.extra["notes"]), third.extra
    expected[third.id] = dict(files)

    points = engine.points(target)
    assert {first.id, third.id} <= {p.id for p in points}
    assert engine.verify(target).ok, "the killed run left nothing a check calls damage"
    for point in points:
        into = workspace / "restored" / point.id.replace(":", "-")
        engine.restore(target, point.id, into)
        for name, data in expected.get(point.id, {}).items():
            assert (into / name).read_bytes() == data, f"{name} of point {point.id}"
