"""Every strategy through the read-errors scenario (real EIO from the sector server), small: no row fails,
the engines that read a bad sector say so in ``read_errors``, and the judge's verdicts agree with the bytes
each engine kept."""

from __future__ import annotations

import pytest
from cellkit import CellRunner, corrupted_paths, missing_paths

from workbench.experiment.registry import STRATEGIES
from workbench.experiment.scenario import load_scenario

pytestmark = [pytest.mark.root, pytest.mark.slow]

SCENARIO = load_scenario("read-errors")
#: Engines whose runs after the fault read a bad sector (a folder's entries, an inode block or file data).
MEETS_BAD_SECTORS = {"backup", "image", "clone", "mirror-sync", "mirror-two-way", "backup/restic", "backup/borg",
                     "backup/rsnapshot", "mirror-sync/rsync", "image/partclone"}
#: Nothing of theirs reads the disk between the fault and its discovery.
READS_NOTHING = {"none", "raid1"}


def _data_runs(details: dict) -> set[str]:
    """The files whose data holds a bad run, as the fault's record names them."""
    return {run["target"] for record in details["faults"] for run in record["details"]["runs"]
            if run["aimed_at"] == "data"}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_meets_the_bad_sectors_without_a_failed_row(run: CellRunner, strategy: str) -> None:
    row, details = run(strategy, SCENARIO)
    assert row["status"] == "ok"
    assert row["recovery_level"] == "disk", "a failing disk is replaced, whatever the strategy"
    if strategy in MEETS_BAD_SECTORS:
        assert row["read_errors"] > 0
    if strategy in READS_NOTHING:
        assert row["read_errors"] == 0
    after_fault = [r for r in details["protect_runs"] if r["time"] > "2026-01-06T12"]
    if strategy == "backup":  # what the engine left out is what the judge finds missing from its newest point
        skipped = {path for r in after_fault for path in r.get("unreadable", [])}
        assert skipped and all(r.get("read_errors", 0) == len(r.get("unreadable", [])) for r in after_fault)
        files = skipped & {v["path"] for v in details["verdicts"] if v["detail"].startswith("file")}
        assert files <= missing_paths(details, "file")
    if strategy == "image":  # copied around the bad runs: those files came back with zeros in them
        assert _data_runs(details) and _data_runs(details) <= corrupted_paths(details) | missing_paths(details)
    if strategy == "clone":  # a refresh keeps the clone's own block where the source would not read
        assert _data_runs(details) and not _data_runs(details) & (corrupted_paths(details) | missing_paths(details))
