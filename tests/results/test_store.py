"""Writing results in the schema's order and types, reading older results, and replacing files durably."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from workbench.errors import UsageError
from workbench.results.schema import COLUMNS, NAMES, SCHEMA_VERSION, Row
from workbench.results.store import ResultsWriter, RunRecord, load_results
from workbench.results.upgrade import FORMAT_VERSION, METADATA_KEY, TableChange, upgrade_record, upgrade_table

IDENTITY = {"strategy": "backup", "variant": "", "family": "backup", "engine": "workbench",
            "scope": "folders", "scenario": "deletion", "repetition": 1,
            "seed": 1, "profile": "classroom"}
PLAIN = {"string": "", "int64": 7, "float64": 2.5, "bool": True}


def ok_row(**changes) -> Row:
    values = {c.name: PLAIN[c.dtype] for c in COLUMNS}
    return Row.measured(**{**values, **IDENTITY, "status": "ok", "rpo_hours": math.nan, "watch_events": math.nan,
                           "boot_ok": math.nan, **changes})


def failed_row() -> Row:
    return Row.failed("KeyError: 'no-such-chunk'", **{**IDENTITY, "strategy": "image", "scope": "whole-disk"})


def record() -> RunRecord:
    return RunRecord(profile="classroom", data_size_bytes=8 << 20, disk_size_bytes=128 << 20, seed=1, repeat=1,
                     strategies=["backup", "image"], scenarios=["deletion"],
                     versions={"python": "3"}, machine={"cpus": 2})


@pytest.fixture
def written(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    writer = ResultsWriter(out, record())
    writer.add(ok_row())
    writer.add(failed_row())
    writer.close()
    return out


def test_the_tables_hold_the_schema_columns_in_order_with_their_types(written: Path) -> None:
    table = pq.read_table(written / "results.parquet")
    assert table.schema.names == list(NAMES)
    types = {"string": "string", "int64": "int64", "float64": "double", "bool": "bool"}
    assert [str(f.type) for f in table.schema] == [types[c.dtype] for c in COLUMNS]
    assert table.schema.metadata == {METADATA_KEY: str(SCHEMA_VERSION).encode()}
    failed = table.slice(1).to_pylist()[0]
    assert failed["error"] == "KeyError: 'no-such-chunk'" and failed["files_intact"] is None
    assert table.column("boot_ok").to_pylist() == [None, None]  # NaN in a check: missing, not a float

    lines = (written / "results.csv").read_text().splitlines()
    assert lines[0] == ",".join(NAMES)
    ok = dict(zip(NAMES, lines[1].split(",")))
    assert (ok["files_intact"], ok["protect_s"], ok["came_back_clean"], ok["rpo_hours"]) == ("7", "2.5", "True", "")


def test_the_run_record_names_the_schema_version_of_its_tables(written: Path) -> None:
    saved = json.loads((written / "run.json").read_text())
    assert (saved["format_version"], saved["schema_version"]) == (FORMAT_VERSION, SCHEMA_VERSION)
    assert saved["failed_cells"] == ["image/deletion/r1"] and saved["finished"]


def test_results_read_back_the_same_from_parquet_and_from_csv(written: Path) -> None:
    from_parquet, saved = load_results(written)
    (written / "results.parquet").unlink()
    from_csv, _ = load_results(written)
    assert list(from_parquet.columns) == list(from_csv.columns) == list(NAMES)
    assert saved["schema_version"] == SCHEMA_VERSION
    for frame in (from_parquet, from_csv):
        assert frame["files_intact"].tolist()[0] == 7 and math.isnan(frame["files_intact"].tolist()[1])
        assert frame.loc[0, "came_back_clean"] == True and frame.loc[1, "status"] == "failed"  # noqa: E712 (a numpy bool is not 'is True')


def test_a_writer_refuses_a_column_the_schema_does_not_declare(tmp_path: Path) -> None:
    writer = ResultsWriter(tmp_path / "out", record())
    with pytest.raises(TypeError, match="restore_seconds"):
        writer.add({**ok_row(), "restore_seconds": 1.0})


#: Schema 3 added these columns, renamed ``protected_bytes`` and dropped ``space_amplification`` (new meanings).
ADDED_IN_3 = ("protected_logical_bytes", "usable_bytes", "fill")
RENAMED_IN_3 = {"protected_bytes": "protected_logical_bytes"}
DROPPED_IN_3 = ("space_amplification",)


def _written_the_old_way(folder: Path, *, parquet: bool) -> pd.DataFrame:
    """A folder as the workbench wrote it before the schema: pandas' own inference, no version anywhere."""
    rows = [{**ok_row()}, {k: v for k, v in failed_row().items() if v is not None}]
    old_order = [n for n in NAMES if n not in ("fsck_clean", "fs_uuid_ok", *ADDED_IN_3)] + ["fs_uuid_ok", "fsck_clean"]
    frame = pd.DataFrame(rows)[old_order].drop(columns=["watch_events", "watch_errors"])
    folder.mkdir()
    frame.to_csv(folder / "results.csv", index=False)
    if parquet:
        frame.to_parquet(folder / "results.parquet", index=False)
    old_record = {k: v for k, v in record().to_json().items() if k != "schema_version"}
    (folder / "run.json").write_text(json.dumps({**old_record, "format_version": 1}))
    return frame


@pytest.mark.parametrize("parquet", [True, False])
def test_results_written_before_the_schema_are_read_as_the_schema_says(tmp_path: Path, parquet: bool) -> None:
    old = _written_the_old_way(tmp_path / "old", parquet=parquet)
    frame, saved = load_results(tmp_path / "old")
    assert (saved["format_version"], saved["schema_version"]) == (FORMAT_VERSION, 1)
    assert list(frame.columns) == list(NAMES), "schema order, every column present"
    assert frame["watch_events"].isna().all(), "a column the old table lacked is missing, not invented"
    for name in old.columns:
        new = RENAMED_IN_3.get(name, name)
        expected = [None] * len(old) if name in DROPPED_IN_3 else [_value(v) for v in old[name]]
        assert [_value(v) for v in frame[new]] == expected, name
    assert frame.loc[1, "error"] == "KeyError: 'no-such-chunk'"


def _value(value: object) -> object:
    """A cell as a reader compares it: missing is missing (CSV reads an empty text as missing)."""
    return None if value is None or value == "" or (isinstance(value, float) and math.isnan(value)) else value


def test_a_renamed_column_gets_its_new_name_and_a_dropped_one_is_read_as_missing() -> None:
    old = pd.DataFrame([{"strategy": "clone", "restore_seconds": 4.0, "protected_bytes": 10, "odd": "kept"}])
    change = TableChange(2, "test", renamed={"restore_seconds": "rto_s"}, dropped=("protected_bytes",))
    frame = upgrade_table(old, 1, changes=(change,))
    assert list(frame.columns) == [*NAMES, "odd"]
    assert frame.loc[0, "rto_s"] == 4.0 and math.isnan(frame.loc[0, "protected_bytes"])
    assert frame.loc[0, "odd"] == "kept"
    same = upgrade_table(old, 2, changes=(change,))
    assert "restore_seconds" in same.columns, "a table already at the change's version is left as it is"


def test_results_of_a_newer_workbench_are_refused() -> None:
    with pytest.raises(UsageError, match="newer"):
        upgrade_record({"format_version": FORMAT_VERSION + 1})
    with pytest.raises(UsageError, match="newer"):
        upgrade_table(pd.DataFrame({"strategy": ["none"]}), SCHEMA_VERSION + 1)


def test_a_record_needs_the_sizes_the_cells_use() -> None:
    with pytest.raises(TypeError, match="disk_size_bytes"):
        RunRecord(profile="classroom", data_size_bytes=8 << 20, seed=1, repeat=1, strategies=[], scenarios=[])


def test_an_unbounded_rpo_is_inf_in_both_tables_and_an_older_tables_rpo_is_not_trusted(tmp_path: Path) -> None:
    out = tmp_path / "lost"
    writer = ResultsWriter(out, record())
    writer.add(ok_row(rpo_hours=math.inf, data_lost_for_good=True))
    writer.close()
    ok = dict(zip(NAMES, (out / "results.csv").read_text().splitlines()[1].split(",")))
    assert (ok["rpo_hours"], ok["data_lost_for_good"]) == ("inf", "True")
    assert pq.read_table(out / "results.parquet").column("rpo_hours").to_pylist() == [math.inf]
    frame, _ = load_results(out)
    assert math.isinf(frame["rpo_hours"][0])
    (out / "results.parquet").unlink()
    assert math.isinf(load_results(out)[0]["rpo_hours"][0]), "the CSV reads back as inf too"
    older = upgrade_table(pd.DataFrame([{"rpo_hours": 0.0, "files_intact": 3}]), version=2)
    assert older["rpo_hours"].isna().all(), "before version 5 an RPO of 0 could hide data lost for good"
