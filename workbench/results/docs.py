"""``docs/results.md``, rendered from the schema, so the document cannot drift from the code.

``python -m workbench.results.docs`` (or ``make docs``) writes it; ``--check``
exits 1 when the committed document is not the rendering.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from .schema import COLUMNS, DERIVED, SCHEMA_VERSION, Column
from .upgrade import FORMAT_VERSION, TABLE_CHANGES

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "results.md"

INTRO = f"""\
# Results: one row per strategy × scenario × repetition

<!-- Generated from workbench/results/schema.py by `make docs`; edit the schema, not this file. -->

`workbench compare --out DIR` writes `DIR/results.csv`, `DIR/results.parquet` (at the end),
`DIR/run.json` (the run record) and `DIR/cells/<strategy>__<scenario>__r<N>.json` (each cell's
fault records, protect runs, recovery steps, the file-by-file verdicts that are not intact, and
`phases_s`: the wall seconds of each phase of the cell: build, simulate, strike, recover, score).
Rows are appended as cells finish; a failed cell is a row with `status = failed` and its `error`
(the exception's type and message, whatever went wrong), and the matrix goes on.

`run.json` holds the `profile`, `seed`, `repeat`, the `strategies`, `scenarios` and overridden
`schedules`, `data_size_bytes` (the data each cell generates, resolved to bytes even when the
profile's default is used), `disk_size_bytes` (each cell's source disk), `fill` (`compare --fill`:
the share of the root filesystem the data fills at its fullest, which sized the disks; null: the
default sizing), the `versions` of Python,
the workbench, its libraries and the system tools, the `machine` (kernel, arch, cpus, memory_bytes),
`started`, `finished` and `failed_cells`. Its `format_version` (now {FORMAT_VERSION}) says how to
read the record, and `schema_version` (now {SCHEMA_VERSION}) which columns its tables have;
`results.parquet` also names its schema version in its metadata (`workbench.schema_version`).
`workbench.results.store.load_results` reads older folders, bringing the record and the table up
to date (see the versions below).

Every time says which clock it reads: **real** (wall-clock seconds, which vary between
repetitions) or **simulated** (the scenario's clock, which follows from the seed, as every
outcome does). Missing values are empty in CSV and null in Parquet. An unbounded RPO (data lost for
good) is `inf` in CSV and Parquet, null in the cells' JSON (`cells/*.json`, under `rpo`), and "lost"
in the report.
"""


def render() -> str:
    """The whole document."""
    parts = [INTRO, "## Columns\n", _table(COLUMNS),
             "## Derived by the report\n",
             "The report computes these from a table; they are never stored.\n", _table(DERIVED),
             "## Schema versions\n", _versions()]
    return "\n".join(parts)


def _table(columns: Iterable[Column]) -> str:
    lines = ["| column | type | unit | time | what it counts | meaning |", "|---|---|---|---|---|---|"]
    for c in columns:
        cells = (f"`{c.name}`", c.dtype, c.unit, c.clock, c.counts, c.meaning)
        lines.append("| " + " | ".join(_cell(text) for text in cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _versions() -> str:
    lines = ["- **1**: the tables written before the schema was declared in code (no version in them)."]
    for change in TABLE_CHANGES:
        line = f"- **{change.version}**: {change.note}"
        if change.renamed:
            line += " Renamed: " + ", ".join(f"`{old}` → `{new}`" for old, new in change.renamed.items()) + "."
        if change.dropped:
            line += " Read as missing from older tables: " + ", ".join(f"`{c}`" for c in change.dropped) + "."
        lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.results.docs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only say whether the document is current")
    parser.add_argument("--out", type=Path, default=DOCUMENT, help=f"where to write (default: {DOCUMENT})")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out} is {'current' if current else 'stale: run make docs'}")
        return 0 if current else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
