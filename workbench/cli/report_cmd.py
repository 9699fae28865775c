"""``workbench report``: render a results folder's report again, from its tables alone."""

from __future__ import annotations

import argparse
import json

from ..commands.report import FORMATS, report

HELP = """\
Reads results.csv (or results.parquet), run.json and cells/ from a folder written
by 'workbench compare' and writes its report: what was found first (generated
from the results, with a recommendation when --needs gives yours, and the
verdicts of the claims the results test), then each scenario's timeline and
what came back, the costs, disk health, every cell's rows, and the method and
its limits. HTML is one self-contained file (figures as SVG) that can be
emailed; Markdown pastes into a wiki or an issue (its figures are SVG files in
a folder beside it); PDF is the HTML printed by headless Chromium (apt-get
install chromium). No disk is touched and no root is needed.

Paths (RESULTS_DIR, --out, --needs, --templates) are relative to the current
directory, not to the workspace.

A needs file is YAML:
  needs:
    threats: [ransomware, deletion]
    max_rpo_hours: 24
    max_rto_s: 120
    max_space: 2G

examples:
  workbench report reports/demo
  workbench report examples/classroom --out /tmp/classroom.html
  workbench report reports/demo --format pdf --out handin.pdf --needs my-needs.yaml
  workbench report reports/demo --format md --out wiki/comparison.md
  workbench report reports/full --templates my-templates/ --json
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("report", help="render the report (HTML, Markdown or PDF) from a results folder",
                            description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results_dir", metavar="RESULTS_DIR",
                        help="a folder written by 'workbench compare --out' (relative to the current directory)")
    parser.add_argument("--out", metavar="FILE", help="where to write it (default: report.<format> in RESULTS_DIR)")
    parser.add_argument("--format", choices=FORMATS, default="html", help="html (default), md or pdf")
    parser.add_argument("--needs", metavar="FILE", help="your needs (YAML: threats, max_rpo_hours, max_rto_s, "
                                                        "max_space): the report recommends for them")
    parser.add_argument("--templates", metavar="DIR", help="a folder whose report.html.j2 / report.md.j2 replace "
                                                           "the shipped templates (to brand or translate)")
    parser.add_argument("--json", action="store_true", help="print {\"report\": path, \"bytes\": size} as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = report(args.results_dir, out=args.out, fmt=args.format, needs=args.needs, templates=args.templates)
    if args.json:
        print(json.dumps({"report": str(path), "bytes": path.stat().st_size}))
    else:
        print(path)
    return 0
