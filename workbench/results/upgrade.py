"""Reading results of an older workbench: run records and tables are brought up to date, as asv does.

Two numbers say how a results folder was written:

- ``run.json``'s ``format_version``: the run record's own fields (``FORMAT_VERSION``);
- the tables' schema version (``schema.SCHEMA_VERSION``): in ``results.parquet``'s
  metadata and in ``run.json``'s ``schema_version``. A CSV carries no metadata, so
  its version is the record's. Tables that name no version predate it: version 1.

Each change of the tables is one ``TableChange``: what an older table needs to be
read as the newer one. Columns a table lacks are read as missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from .schema import NAMES, SCHEMA_VERSION

if TYPE_CHECKING:
    import pandas as pd

#: The version of run.json's fields. 2: ``schema_version`` names the tables' version.
FORMAT_VERSION = 2
#: Where results.parquet keeps its schema version.
METADATA_KEY = b"workbench.schema_version"
#: The schema version of tables that name none (they were written before the schema was code).
UNVERSIONED = 1


@dataclass(frozen=True)
class TableChange:
    """How the tables of ``version`` differ from those of the version before."""

    version: int
    note: str  # for docs/results.md
    renamed: Mapping[str, str] = field(default_factory=dict)  # old name -> its name from this version on
    dropped: tuple[str, ...] = ()  # old columns whose values mean something else now: read as missing
    #: new column -> its value in an older table, read from that table's ``strategy`` (what older rows can only be)
    filled: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


#: The strategies a table before version 3 can hold (all the workbench's own engines), and their families.
_FAMILY_BEFORE_ENGINES = {"none": "none", "image": "image", "backup": "backup", "clone": "clone",
                          "mirror-sync": "mirror", "mirror-continuous": "mirror", "mirror-two-way": "mirror",
                          "raid1": "raid1"}


TABLE_CHANGES: tuple[TableChange, ...] = (
    TableChange(2, "`results.parquet` carries the schema version in its metadata, and `run.json` in "
                   "`schema_version`; the columns are written in schema order with their declared types. "
                   "No column was renamed or changed its meaning."),
    TableChange(3, "`family` and `engine` say which kind of copy a row's strategy keeps and who runs it (the "
                   "workbench or a real tool: `backup/restic` is `strategy` backup, `engine` restic). Older rows "
                   "are all the workbench's: read with `engine` workbench and their strategy's family.",
                filled={"engine": dict.fromkeys(_FAMILY_BEFORE_ENGINES, "workbench"),
                        "family": _FAMILY_BEFORE_ENGINES}),
    TableChange(4, "`protected_bytes` counts what is really stored (allocated bytes, a hard link once, holes "
                   "excluded; a disk's used blocks); the sizes `ls` shows became `protected_logical_bytes` (the "
                   "`none` row's counted the whole tree, now 0), and `space_amplification` divides by the new "
                   "`protected_bytes`. New: `usable_bytes` (the clone's and raid1's filesystem capacity) and `fill` "
                   "(`compare --fill`).",
                renamed={"protected_bytes": "protected_logical_bytes"}, dropped=("space_amplification",)),
    TableChange(5, "`rpo_hours` covers the in-scope data and is `inf` when some of it is lost for good (it read "
                   "0 then); older tables' `rpo_hours` is read as missing. New columns: `data_lost_for_good`, "
                   "`target_damage_by`, `conflicts`, `versions_lost`. `protect_s` and `protect_runs` count the "
                   "continuous mirror's work; `restore_point_time` is simulated for every strategy.",
                dropped=("rpo_hours",)),
)


def upgrade_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """Bring a run record of an older format up to the current one."""
    version = record.get("format_version", 0)
    if version > FORMAT_VERSION:
        raise UsageError(f"these results were written by a newer workbench (format {version}): upgrade the package")
    upgraded = dict(record)
    if version < 2:
        upgraded["schema_version"] = UNVERSIONED
    upgraded["format_version"] = FORMAT_VERSION
    return upgraded


def parquet_version(metadata: Mapping[bytes, bytes] | None) -> int:
    """The schema version a results.parquet says it has (its metadata), or the unversioned one."""
    value = (metadata or {}).get(METADATA_KEY)
    return int(value) if value is not None else UNVERSIONED


def upgrade_table(frame: pd.DataFrame, version: int,
                  changes: Sequence[TableChange] = TABLE_CHANGES) -> pd.DataFrame:
    """A results table of schema ``version`` as the current schema reads it.

    Renamed columns get their new names, dropped ones go, and the columns come
    in schema order, every one present (missing where the table lacked it);
    columns the schema does not know stay at the end.
    """
    if version > SCHEMA_VERSION:
        raise UsageError(f"these results use a newer results schema ({version}, this workbench reads up to "
                         f"{SCHEMA_VERSION}): upgrade the package")
    for change in changes:
        if change.version > version:
            frame = frame.drop(columns=[c for c in change.dropped if c in frame.columns])
            frame = frame.rename(columns=dict(change.renamed))
            for name, by_strategy in change.filled.items():
                if name not in frame.columns and "strategy" in frame.columns:
                    frame[name] = frame["strategy"].map(dict(by_strategy))
    extra = [c for c in frame.columns if c not in set(NAMES)]
    return frame.reindex(columns=[*NAMES, *extra])
