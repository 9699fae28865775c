"""The shipped fill sweep (``make fill-sweep``): what follows the disk, and what follows the data.

Every strategy on a deletion, the classroom profile at its default size, on disks
sized so the data fills a quarter, half and nine tenths of the root. A clone
reserves a whole disk, so its reserved bytes per byte of data fall as the disk
fills; a backup's footprint follows the data, so per byte of data it stays put.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from workbench.advice.claims import HOLDS, check_claims, judge_claims, load_claims
from workbench.results.schema import SCHEMA_VERSION
from workbench.results.store import load_results

SWEEP = Path(__file__).resolve().parents[2] / "examples" / "fill-sweep"
FILLS = (0.25, 0.5, 0.9)


@pytest.fixture(scope="module")
def sweep() -> pd.DataFrame:
    folders = sorted(SWEEP.glob("fill-*"))
    if not folders:
        pytest.skip("needs the shipped examples/fill-sweep (make fill-sweep)")
    frames = []
    for folder in folders:
        frame, record = load_results(folder)
        assert record["fill"] == float(folder.name.removeprefix("fill-")) and record["scenarios"] == ["deletion"]
        assert (frame["fill"] == record["fill"]).all(), "every row carries the fill its disk was sized for"
        assert sorted(p.stem for p in (folder / "cells").glob("*.json")) == sorted(
            f"{s.replace(':', '-')}__deletion__r1" for s in record["strategies"]), "a cell record per row"
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    assert sorted(table["fill"].unique()) == list(FILLS)
    return table


def _per_fill(sweep: pd.DataFrame, strategy: str, column: str) -> list[float]:
    rows = sweep[(sweep["strategy"] == strategy) & (sweep["status"] == "ok")].sort_values("fill")
    assert rows["fill"].tolist() == list(FILLS), f"{strategy} measured once at every fill"
    return (rows[column] / rows["protected_bytes"]).tolist()


def test_the_sweep_is_of_this_schema_and_no_cell_failed(sweep: pd.DataFrame) -> None:
    records = [json.loads((folder / "run.json").read_text()) for folder in sorted(SWEEP.glob("fill-*"))]
    assert {r["schema_version"] for r in records} == {SCHEMA_VERSION}
    assert (sweep["status"] == "ok").all(), sweep.loc[sweep["status"] != "ok", ["strategy", "fill", "error"]]
    sizes = [r["disk_size_bytes"] for r in sorted(records, key=lambda r: r["fill"])]
    assert sizes == sorted(sizes, reverse=True), "the fuller the disk is to be, the smaller it is"


def test_a_clone_reserves_less_per_byte_of_data_as_the_disk_fills(sweep: pd.DataFrame) -> None:
    reserved = _per_fill(sweep, "clone", "reserved_bytes")
    assert reserved[0] > reserved[1] > reserved[2], reserved
    assert reserved[0] > 2 * reserved[2], "a whole disk, whatever it holds"


def test_a_backup_s_footprint_per_byte_of_data_does_not_fall_as_the_disk_fills(sweep: pd.DataFrame) -> None:
    footprint = _per_fill(sweep, "backup", "footprint_bytes")
    assert footprint[2] >= 0.97 * footprint[0] and footprint[1] >= 0.97 * footprint[0], footprint
    assert max(footprint) <= 1.03 * min(footprint), "it follows the data, not the disk"


def test_the_room_claims_are_judged_on_the_sweep(sweep: pd.DataFrame) -> None:
    claims = [c for c in load_claims() if c.id in ("clone-full-size", "raid1-halves-capacity")]
    verdicts = judge_claims(sweep, claims).set_index("id")
    assert verdicts.loc["raid1-halves-capacity", "verdict"] == HOLDS, verdicts.loc["raid1-halves-capacity"]
    outcomes = check_claims(sweep, claims)
    by_fill = outcomes[(outcomes["claim"] == "clone-full-size") & (outcomes["check"] == 2)]
    assert by_fill["fill"].tolist() == list(FILLS) and by_fill["passed"].all(), "about a byte per byte, at every fill"
    sweep_check = outcomes[(outcomes["claim"] == "clone-full-size") & (outcomes["check"] == 4)]
    assert sweep_check["passed"].tolist() == [True], "the clone disk's room follows the disk, not the data"
