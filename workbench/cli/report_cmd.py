"""``workbench report``: render a results folder's report.html again, from its tables alone."""

from __future__ import annotations

import argparse
import json

from ..commands.report import report

HELP = """\
Reads results.csv (or results.parquet) and run.json from a folder written by
'workbench compare' and writes report.html beside them: one self-contained file
with the plots embedded, a summary table, each cell's rows, failed cells with
their errors, the run record and a short guide to RPO, RTO and space
amplification. It can be emailed as it is. No disk is touched and no root is
needed, so it works on results copied from another machine.

examples:
  workbench report reports/demo
  workbench report examples/classroom
  workbench report reports/full --json
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("report", help="render report.html from a results folder",
                            description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results_dir", metavar="RESULTS_DIR", help="a folder written by 'workbench compare --out'")
    parser.add_argument("--json", action="store_true", help="print {\"report\": path, \"bytes\": size} as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = report(args.results_dir)
    if args.json:
        print(json.dumps({"report": str(path), "bytes": path.stat().st_size}))
    else:
        print(path)
    return 0
