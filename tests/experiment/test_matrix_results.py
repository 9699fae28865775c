"""The matrix as ``compare`` runs it: a failed cell is a row, and the run is recorded in full."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cellkit import DATA_SIZE, scenario

from workbench.experiment import registry
from workbench.experiment.executors import InProcess
from workbench.experiment.matrix import run_matrix, run_record
from workbench.experiment.runner import Cell, disk_size_for
from workbench.workload.profile import load_profile

# Lost at 03:00, after a backup at 01:00: three simulated hours.
DISK_LOSS = scenario("disk-loss", [("disk-loss", "day 0 03:00", {})], "day 0 03:00")


def test_the_record_holds_the_sizes_the_cells_use_even_with_the_profiles_default() -> None:
    record = run_record(profile="classroom", data_size=None, seed=1, repeat=1, strategies=["none"],
                        scenarios=["deletion"])
    default = load_profile("classroom").default_data_size
    assert record.to_json()["data_size_bytes"] == default
    assert record.to_json()["disk_size_bytes"] == disk_size_for(default)


@pytest.mark.root
def test_a_cell_that_crashes_is_a_failed_row_and_the_matrix_goes_on(workspace: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    make_backup = registry._FACTORIES["backup"]

    def broken_backup(target, **common):
        protection = make_backup(target, **common)

        def protect(source, target, **kwargs):
            raise KeyError("no-such-chunk")  # a bug, not a WorkbenchError

        protection.strategy.protect = protect
        return protection

    monkeypatch.setitem(registry._FACTORIES, "backup", broken_backup)
    cells = [Cell(name, DISK_LOSS, data_size=DATA_SIZE, seed=7, schedules={"backup": "daily@01"})
             for name in ("backup", "none")]
    record = run_record(profile="classroom", data_size=DATA_SIZE, seed=7, repeat=1,
                        strategies=["backup", "none"], scenarios=["disk-loss"])
    out = tmp_path / "results"
    rows = run_matrix(cells, out, record, executor=InProcess())  # the patch reaches this process only

    assert [(r["strategy"], r["status"]) for r in rows] == [("backup", "failed"), ("none", "ok")]
    assert rows[0]["error"] == "KeyError: 'no-such-chunk'"
    for table in (pd.read_csv(out / "results.csv"), pd.read_parquet(out / "results.parquet")):
        assert list(table["status"]) == ["failed", "ok"] and table["error"][0] == "KeyError: 'no-such-chunk'"
    saved = json.loads((out / "run.json").read_text())
    assert (saved["seed"], saved["profile"]) == (7, "classroom")
    assert (saved["data_size_bytes"], saved["disk_size_bytes"]) == (DATA_SIZE, disk_size_for(DATA_SIZE))
    assert saved["failed_cells"] == ["backup/disk-loss/r1"] and saved["finished"]
    assert {"python", "workbench", "sfdisk", "mkfs.ext4"} <= set(saved["versions"])
    assert saved["machine"]["cpus"] >= 1 and saved["machine"]["kernel"]
