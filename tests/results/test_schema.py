"""The results schema: each column a complete contract, and rows that cannot drift from it."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from workbench.advice.table import BOOL_COLUMNS
from workbench.report import tables
from workbench.results.schema import COLUMNS, DERIVED, IDENTITY, NAMES, Row, column, names

IDENTITY_VALUES = {"strategy": "backup", "variant": "", "family": "backup", "engine": "workbench",
                   "scope": "folders", "scenario": "deletion", "repetition": 1,
                   "seed": 1, "profile": "classroom"}
PLAIN = {"string": "", "int64": 0, "float64": 0.5, "bool": True}


def measured(**changes) -> dict:
    values = {c.name: PLAIN[c.dtype] for c in COLUMNS}
    return {**values, **IDENTITY_VALUES, "status": "ok", **changes}


def test_every_column_is_a_complete_contract() -> None:
    assert len(set(NAMES)) == len(NAMES)
    for c in COLUMNS + DERIVED:
        assert c.meaning, c.name
        assert c.dtype in ("string", "int64", "float64", "bool"), c.name
        if c.unit in ("s", "h", "ISO time"):
            assert c.clock in ("real", "simulated"), f"{c.name} is a time: say which clock"
        else:
            assert c.clock == "", f"{c.name} has a clock but is not a time"
        if c.unit in ("s", "bytes", "count", "ratio"):
            assert c.dtype in ("int64", "float64"), c.name
        if c.name.endswith("_s"):
            assert (c.unit, c.clock) == ("s", "real"), c.name
        if c.name.endswith("_hours"):
            assert (c.unit, c.clock) == ("h", "simulated"), c.name
        assert not c.name.endswith("_bytes") or c.unit == "bytes", c.name
    assert {column(n).name for n in NAMES} == set(NAMES) and column("intact_fraction").summary == "median"


def test_identity_columns_come_first_and_say_which_cell_a_row_is() -> None:
    assert NAMES[:len(IDENTITY)] == IDENTITY
    assert set(IDENTITY) == {*IDENTITY_VALUES, "status", "error"}


def test_the_report_and_the_advice_read_their_column_groups_from_the_schema() -> None:
    assert all(column(n).clock == "real" for n in tables.TIMING_COLUMNS)
    assert all(column(n).dtype in ("int64", "float64") for n in tables.OUTCOME_COLUMNS)
    assert tables.OUTCOME_COLUMNS[0] == "intact_fraction"
    assert all(column(n).dtype == "bool" for n in tables.CHECK_COLUMNS)
    assert set(BOOL_COLUMNS) == {c.name for c in COLUMNS if c.dtype == "bool"}
    assert names(dtype="bool", summary="share") == tables.CHECK_COLUMNS


def test_a_measured_row_holds_every_column_in_schema_order() -> None:
    row = Row.measured(**dict(reversed(list(measured(rpo_hours=math.nan, boot_ok=None).items()))))
    assert tuple(row) == NAMES
    assert row["status"] == "ok" and math.isnan(row["rpo_hours"]) and row["boot_ok"] is None
    assert isinstance(row, dict)


def test_a_row_that_lacks_a_column_names_it() -> None:
    values = measured()
    del values["rto_s"]
    with pytest.raises(TypeError, match="rto_s"):
        Row.measured(**values)


def test_a_column_the_schema_does_not_declare_is_refused() -> None:
    with pytest.raises(TypeError, match="restore_seconds"):
        Row.measured(**measured(), restore_seconds=1.0)


@pytest.mark.parametrize(("name", "value"), [("files_intact", 1.5), ("files_intact", True), ("came_back_clean", 1),
                                             ("came_back_clean", "True"), ("rto_s", "4"), ("strategy", None),
                                             ("variant", math.nan)])
def test_a_value_of_the_wrong_type_is_refused(name: str, value: object) -> None:
    with pytest.raises(TypeError, match=name):
        Row.measured(**measured(**{name: value}))


def test_a_failed_row_says_which_cell_and_why_and_leaves_every_measure_missing() -> None:
    row = Row.failed("KeyError: 'x'", **IDENTITY_VALUES)
    assert tuple(row) == NAMES
    assert (row["status"], row["error"], row["strategy"]) == ("failed", "KeyError: 'x'", "backup")
    assert all(row[n] is None for n in NAMES if n not in IDENTITY)
    with pytest.raises(TypeError, match="scope"):
        Row.failed("boom", **{k: v for k, v in IDENTITY_VALUES.items() if k != "scope"})


def test_the_schema_needs_neither_pandas_nor_the_engine() -> None:
    code = ("import sys, workbench.results.schema, workbench.results.upgrade, workbench.results.store;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'pyarrow')"
            " or m.startswith('workbench.experiment')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
