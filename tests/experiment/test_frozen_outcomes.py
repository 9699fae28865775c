"""A refactor must not change what a cell measures: a fixed matrix against frozen rows.

The rows in ``frozen/outcomes.csv`` were produced by the code before the structure
work began (see ``frozen/README.md``). Only the outcome columns are compared:
what came back, file by file and byte by byte. Timings and sizes may move.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from workbench.experiment.matrix import plan_cells, run_matrix, run_record

FROZEN = Path(__file__).parent / "frozen" / "outcomes.csv"
KEYS = ("strategy", "scenario")
OUTCOMES = ("files_intact", "files_missing", "files_corrupted", "files_stale", "files_metadata_differs",
            "files_unexpected", "bytes_intact", "bytes_lost", "bytes_stale", "came_back_clean")


def _frozen() -> dict[tuple[str, str], dict[str, str]]:
    with open(FROZEN, newline="") as handle:
        return {tuple(row[k] for k in KEYS): row for row in csv.DictReader(handle)}


def _text(value: object) -> str:
    """The CSV spelling of a measured value (True, 42)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


@pytest.mark.root
@pytest.mark.slow
def test_fixed_matrix_matches_frozen_outcomes(workspace: Path, tmp_path: Path) -> None:
    frozen = _frozen()
    strategies = list(dict.fromkeys(k[0] for k in frozen))
    scenarios = list(dict.fromkeys(k[1] for k in frozen))
    record = run_record(profile="classroom", data_size=8 << 20, seed=1, repeat=1,
                        strategies=strategies, scenarios=scenarios)
    cells = plan_cells(strategies, scenarios, profile="classroom", data_size=8 << 20, seed=1, repeat=1)
    rows = run_matrix(cells, tmp_path / "out", record)
    assert len(rows) == len(frozen)
    moved = []
    for row in rows:
        assert row["status"] == "ok", row["error"]
        want = frozen[(row["strategy"], row["scenario"])]
        moved += [f"{row['strategy']}/{row['scenario']} {col}: frozen {want[col]}, now {_text(row[col])}"
                  for col in OUTCOMES if _text(row[col]) != want[col]]
    assert not moved, "\n".join(moved)
