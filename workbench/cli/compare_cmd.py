"""``workbench compare``: run the strategy x scenario matrix and write results (and the report)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..experiment.matrix import plan_cells, run_matrix, run_record
from ..experiment.registry import STRATEGIES
from ..experiment.scenario import known_scenarios, select
from ..experiment.schedule import DEFAULT_SCHEDULES, parse_schedule
from ..progress import bar
from ..proc import require_root
from ..units import parse_size

#: What `make demo` runs: the lessons that matter, in a few minutes.
DEMO_SCENARIOS = "deletion,slow-ransomware,partition-wipe,bitrot"
DEMO_STRATEGIES = "none,image,backup,clone,mirror-sync,mirror-continuous,raid1"

HELP = f"""\
Each cell builds a fresh system disk from the workload profile, runs the
scenario's simulated days with the strategy protecting on its schedule,
strikes with the faults, recovers the way a user of that strategy would, and
scores what came back against the ground truth, byte for byte.

strategies: {', '.join(STRATEGIES)}
  (variants after a colon: mirror-sync:checksum, mirror-continuous:checksum; 'demo' = {DEMO_STRATEGIES})
scenarios:  {', '.join(known_scenarios())}
  (or a path to a scenario YAML file; 'demo' = {DEMO_SCENARIOS})
default schedules: {', '.join(f'{k}={v}' for k, v in DEFAULT_SCHEDULES.items())}

output (in --out): results.csv, results.parquet, run.json, cells/*.json
(every cell's faults, recovery steps and file-by-file verdicts) and report.html.

examples:
  workbench compare --profile classroom --scenarios all --strategies all --out reports/full
  workbench compare --scenarios deletion,ransomware --strategies backup,mirror-sync --out reports/lesson
  workbench compare --scenarios deletion --strategies clone --schedule clone=daily@12 --out reports/clone
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("compare", help="run strategies against scenarios and score them",
                            description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="classroom", help="workload profile (default: classroom)")
    parser.add_argument("--data-size", default=None, help="amount of data, e.g. 32M (default: the profile's)")
    parser.add_argument("--scenarios", default="demo", help="'all', 'demo' or a comma-separated list")
    parser.add_argument("--strategies", default="demo", help="'all', 'demo' or a comma-separated list")
    parser.add_argument("--schedule", action="append", default=[], metavar="STRATEGY=RULE",
                        help="override a schedule, e.g. backup=daily@23 (repeatable)")
    parser.add_argument("--repeat", type=int, default=1, help="repetitions per cell (default: 1)")
    parser.add_argument("--seed", type=int, default=1, help="seed for data and faults (default: 1)")
    parser.add_argument("--out", required=True, help="results folder, e.g. reports/today")
    parser.add_argument("--no-report", action="store_true", help="do not render report.html")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def parse_schedules(items: list[str]) -> dict[str, str]:
    schedules = {}
    for item in items:
        name, sep, rule = item.partition("=")
        if not sep or name not in STRATEGIES:
            from ..errors import UsageError

            raise UsageError(f"'{item}' is not STRATEGY=RULE (e.g. backup=daily@23); strategies: {', '.join(STRATEGIES)}")
        parse_schedule(rule)
        schedules[name] = rule
    return schedules


def run(args: argparse.Namespace) -> int:
    require_root("running the comparison")
    scenarios = select(DEMO_SCENARIOS if args.scenarios == "demo" else args.scenarios, known_scenarios(), "scenario")
    strategies = _strategies(DEMO_STRATEGIES if args.strategies == "demo" else args.strategies)
    schedules = parse_schedules(args.schedule)
    data_size = parse_size(args.data_size) if args.data_size else None
    if args.repeat < 1:
        from ..errors import UsageError

        raise UsageError("--repeat must be 1 or more")
    record = run_record(profile=args.profile, data_size=data_size, seed=args.seed, repeat=args.repeat,
                        strategies=strategies, scenarios=scenarios, schedules=schedules)
    cells = plan_cells(strategies, scenarios, profile=args.profile, data_size=record.data_size_bytes,
                       seed=args.seed, repeat=args.repeat, schedules=schedules)
    out = Path(args.out).expanduser().resolve()
    progress = bar(len(cells), "cells", unit="cell", quiet=True if args.quiet else None)

    def on_cell(done: int, total: int, row: dict) -> None:
        progress.set_postfix_str(f"{row['strategy']}/{row['scenario']}: {row['status']}")
        progress.update(1)

    with progress:
        rows = run_matrix(cells, out, record, on_cell)
    failed = [r for r in rows if r["status"] == "failed"]
    print(f"{len(rows)} cells, {len(failed)} failed; results in {out}")
    for row in failed:
        print(f"  failed: {row['strategy']}/{row['scenario']}: {row['error']}")
    if not args.no_report:
        _report(out)
    return 3 if failed and len(failed) == len(rows) else 0


def _strategies(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",")] if text != "all" else list(STRATEGIES)
    for name in names:
        from ..experiment.registry import strategy_spec

        strategy_spec(name)
    return names


def _report(out: Path) -> None:
    from ..report.html import write_report

    path = write_report(out)
    print(f"report: {path}")
