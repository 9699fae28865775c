"""``workbench compare``: run the strategy x scenario matrix and write results (and the report)."""

from __future__ import annotations

import argparse
import json

from ..commands.compare import compare, schedule_overrides
from ..experiment.estimate import Estimate
from ..experiment.scenario import DEMO_SCENARIOS, known_scenarios
from ..strategies import catalog
from ..units import format_bytes

HELP = f"""\
Each cell builds a fresh system disk from the workload profile, runs the
scenario's simulated days with the strategy protecting on its schedule,
strikes with the faults, recovers the way a user of that strategy would, and
scores what came back against the ground truth, byte for byte.

strategies: {', '.join(catalog.names())}
  (variants after a colon: {', '.join(f'{r.name}:{v}' for r in catalog.STRATEGIES for v in r.variants[1:])};
  'demo' = {','.join(catalog.select('demo'))})
scenarios:  {', '.join(known_scenarios())}
  (or a path to a scenario YAML file; 'demo' = {','.join(DEMO_SCENARIOS)})
default schedules: {', '.join(f'{k}={v}' for k, v in catalog.default_schedules().items())}

output (in --out): results.csv, results.parquet, run.json, cells/*.json
(every cell's faults, recovery steps and file-by-file verdicts) and report.html.
A cell's files land in cells/ as soon as it finishes: --resume runs only the
cells an interrupted run did not finish. An --out that holds results is
refused unless --resume or --force (replace them) is given.

running cells: each cell is a child process of its own; --jobs N runs N at a
time; --executor dask --scheduler ADDRESS runs them on a Dask cluster whose
workers run as root with the resource loopdev (dask-worker ADDRESS --resources
loopdev=2). A worker runs root operations for whoever reaches its scheduler:
keep the scheduler on localhost or behind TLS.
exit code: 0 when every cell ran, 3 when any cell failed.

examples:
  workbench compare --profile classroom --scenarios all --strategies all --out reports/full
  workbench compare --scenarios deletion,ransomware --strategies backup,mirror-sync --out reports/lesson
  workbench compare --scenarios deletion --strategies clone --schedule clone=daily@12 --out reports/clone
  workbench compare --strategies mirror-sync:checksum,mirror-sync --scenarios bitrot --repeat 3 --out reports/rot
  workbench compare --strategies clone,raid1,backup --scenarios deletion --fill 0.8 --out reports/full-disk
  workbench compare --tree ~/Documents --exclude '*.iso' --churn 2%/day --dry-run --out reports/mine
  workbench compare --profile debian --scenarios partition-wipe --strategies image,backup,none --boot-check \\
    --out reports/boot
  workbench compare --scenarios all --strategies all --jobs 2 --out reports/full --resume
  workbench compare --executor dask --scheduler tcp://127.0.0.1:8786 --out reports/cluster --json
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("compare", help="run strategies against scenarios and score them",
                            description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="classroom", help="workload profile (default: classroom)")
    parser.add_argument("--data-size", default=None, help="amount of data, e.g. 32M (default: the profile's)")
    parser.add_argument("--fill", type=float, default=None, metavar="SHARE",
                        help="size the disks so the data fills this share of the root filesystem at its fullest, "
                             "e.g. 0.5 for half full (at most 0.95; default: a disk of twice the data plus 96 MiB)")
    parser.add_argument("--scenarios", default="demo", help="'all', 'demo' or a comma-separated list")
    parser.add_argument("--strategies", default="demo", help="'all', 'demo' or a comma-separated list")
    parser.add_argument("--schedule", action="append", default=[], metavar="STRATEGY=RULE",
                        help="override a schedule, e.g. backup=daily@23 (repeatable)")
    parser.add_argument("--repeat", type=int, default=1, help="repetitions per cell (default: 1)")
    parser.add_argument("--seed", type=int, default=1, help="seed for data and faults (default: 1)")
    parser.add_argument("--out", required=True, help="results folder, e.g. reports/today")
    parser.add_argument("--boot-check", action="store_true",
                        help="boot each recovered disk under QEMU to judge boot_ok (profiles with an OS, e.g. "
                             "debian; a minute or two per boot)")
    parser.add_argument("--no-report", action="store_true", help="do not render report.html")
    parser.add_argument("--needs", metavar="FILE", help="your needs (YAML, see 'workbench report --help'): the "
                                                        "report recommends for them (relative to the current dir)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--resume", action="store_true", help="run only the cells --out does not hold yet")
    parser.add_argument("--force", action="store_true", help="replace the results --out holds")
    parser.add_argument("--jobs", type=int, default=1, help="cells at a time on this machine (default: 1)")
    parser.add_argument("--executor", choices=("sequential", "dask"), default="sequential",
                        help="where cells run (default: sequential, on this machine)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="the Dask scheduler for --executor dask, e.g. tcp://127.0.0.1:8786")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    own = parser.add_argument_group("your own workload")
    own.add_argument("--tree", metavar="DIR", default=None,
                     help="copy this folder (only read) into the home of each fresh system disk, instead of a profile")
    own.add_argument("--disk", metavar="IMG", default=None,
                     help="copy the ext4 root of this GPT disk image (imported with 'disk import'; only read) instead")
    own.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                     help="leave out names (*.iso) or paths (Videos/raw) of --tree or --disk (repeatable)")
    own.add_argument("--churn", default=None, metavar="RATE",
                     help="share of your files changed per simulated day (default: 1%%/day; 0 for none)")
    own.add_argument("--redact-names", action="store_true",
                     help="replace your file names in cells/ details by stable tokens")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the cells, their estimated time and the space they need; run nothing")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = compare(out=args.out, profile=args.profile, scenarios=args.scenarios, strategies=args.strategies,
                     schedules=schedule_overrides(args.schedule), data_size=args.data_size, fill=args.fill,
                     repeat=args.repeat, seed=args.seed, boot_check=args.boot_check, report=not args.no_report,
                     quiet=True if args.quiet else None, resume=args.resume, force=args.force, jobs=args.jobs,
                     executor=args.executor, scheduler=args.scheduler,
                     tree=args.tree, disk=args.disk, exclude=args.exclude, churn=args.churn, dry_run=args.dry_run,
                     redact_names=args.redact_names, needs=args.needs)
    if args.dry_run:
        assert result.estimate is not None  # a dry run is all estimate
        print(dry_run_text(result.estimate))
        return 0
    failed = result.failed
    if args.json:
        print(json.dumps(result.summary(), indent=1))
    else:
        resumed = f" ({result.resumed} from the earlier run)" if result.resumed else ""
        print(f"{len(result.rows)} cells{resumed}, {len(failed)} failed; results in {result.out}")
        for row in failed:
            print(f"  failed: {row['strategy']}/{row['scenario']}: {row['error']}")
        if result.report is not None:
            print(f"report: {result.report}")
    return 3 if failed else 0


def dry_run_text(plan: Estimate) -> str:
    """The cells a comparison would run, what they would take, and whether the workspace can hold them."""
    lines = [f"{len(plan.cells)} cells, {format_bytes(plan.data_bytes)} of data each:"]
    lines += [f"  {label}" for label in plan.cells]
    lines.append(f"estimated time: {_duration(plan.total_s)} ({plan.cell_s:.0f} s a cell)")
    verdict = "too little: free some space first" if plan.space_short else "enough"
    lines.append(f"workspace space needed: {format_bytes(plan.space_bytes)}; free: {format_bytes(plan.free_bytes)} "
                 f"({verdict})")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{seconds:.0f} s" if seconds < 120 else f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 \
        else f"{minutes} min"
