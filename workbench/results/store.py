"""Writing and reading a results folder: ``results.csv``, ``results.parquet`` and ``run.json``.

``run.json`` is the run record: its ``format_version`` says how to read the
folder, and ``results.upgrade`` brings older records and tables up to date (as
asv does), so old results keep opening. The tables' columns, their order and
their types are ``results.schema``'s. Rows are appended as cells finish, so a
run that crashes part-way keeps what it finished; every file is replaced
durably (``durable.replacing``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..durable import replacing, write_atomic
from ..errors import UsageError
from .schema import COLUMNS, NAMES, SCHEMA_VERSION
from .upgrade import FORMAT_VERSION, METADATA_KEY, UNVERSIONED, parquet_version, upgrade_record, upgrade_table

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

@dataclass(kw_only=True)
class RunRecord:
    """What a run was asked to do and what it ran on.

    ``data_size_bytes`` and ``disk_size_bytes`` are the bytes the cells really
    use, and ``versions`` and ``machine`` what produced them: whoever plans the
    cells fills them in (``experiment.matrix.run_record``), so this layer
    neither reaches up to the engine nor runs a tool.
    """

    profile: str
    data_size_bytes: int
    seed: int
    repeat: int
    strategies: list[str]
    scenarios: list[str]
    schedules: dict[str, str] = field(default_factory=dict)
    disk_size_bytes: int
    fill: float | None = None  # compare --fill: the disks were sized for it (None: the default sizing)
    started: str = ""
    finished: str = ""
    format_version: int = FORMAT_VERSION
    schema_version: int = SCHEMA_VERSION
    versions: dict[str, str] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    failed_cells: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ResultsWriter:
    """Appends rows as cells finish and rewrites the tables, so nothing finished is lost."""

    def __init__(self, out: Path, record: RunRecord) -> None:
        self.out = out
        self.record = record
        self.rows: list[Mapping[str, Any]] = []
        out.mkdir(parents=True, exist_ok=True)
        record.started = record.started or now_iso()
        self._write_record()

    def add(self, row: Mapping[str, Any]) -> None:
        unknown = [name for name in row if name not in NAMES]
        if unknown:
            raise TypeError(f"not results columns: {', '.join(unknown)} (declare them in results/schema.py)")
        self.rows.append(row)
        if row.get("status") == "failed":
            self.record.failed_cells.append(f"{row['strategy']}/{row['scenario']}/r{row['repetition']}")
        self._write_tables(parquet=False)

    def close(self) -> None:
        self.record.finished = now_iso()
        self._write_tables(parquet=True)
        self._write_record()

    def _write_tables(self, *, parquet: bool) -> None:
        frame = typed_frame(self.rows)
        with replacing(self.out / "results.csv") as temp:
            frame.to_csv(temp, index=False)
        if parquet and not frame.empty:
            table = arrow_table(frame)
            with replacing(self.out / "results.parquet") as temp:
                _write_parquet(table, temp)

    def _write_record(self) -> None:
        write_atomic(self.out / "run.json", json.dumps(self.record.to_json(), indent=2).encode())


#: Each schema type as pandas holds it while writing (nullable: a failed row leaves measures missing)
#: and as results.parquet stores it.
_PANDAS_TYPES = {"string": "string", "int64": "Int64", "float64": "float64", "bool": "boolean"}


def typed_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The rows as a frame of every schema column, in schema order, each of its schema type."""
    import pandas as pd

    frame = pd.DataFrame(list(rows), columns=list(NAMES))
    return frame.astype({c.name: _PANDAS_TYPES[c.dtype] for c in COLUMNS})


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """A typed frame as a Parquet-ready table whose metadata names the schema version.

    The metadata holds only that: without pandas' own, readers get NumPy types
    (an integer column with a gap reads as floats), as they always have.
    """
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
    schema = pa.schema([pa.field(c.name, types[c.dtype]) for c in COLUMNS])
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    return table.replace_schema_metadata({METADATA_KEY: str(SCHEMA_VERSION).encode()})


def _write_parquet(table: pa.Table, path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, path)


def load_results(folder: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(results table, run record) from a results folder, both brought up to the current versions.

    Parquet when present, else CSV. The table has every schema column in schema
    order (missing where an older table lacked one); the record keeps the
    ``schema_version`` its tables were written with.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    path = Path(folder)
    csv, parquet, run = path / "results.csv", path / "results.parquet", path / "run.json"
    if not csv.exists() and not parquet.exists():
        raise UsageError(f"'{folder}' holds no results.csv: run 'workbench compare --out {folder}' first")
    record = upgrade_record(json.loads(run.read_text())) if run.exists() else {}
    if parquet.exists():
        frame = pd.read_parquet(parquet)
        version = parquet_version(pq.read_schema(parquet).metadata)
    else:
        frame = pd.read_csv(csv, keep_default_na=False, na_values=["", "nan", "NaN"])
        version = int(record.get("schema_version", UNVERSIONED))
    return upgrade_table(frame, version), record
