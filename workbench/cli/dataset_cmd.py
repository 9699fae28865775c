"""``workbench dataset``: list the workload profiles, build one onto a disk, apply a day of churn."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from .. import guard, workspace
from ..errors import UsageError
from ..units import format_bytes, parse_size
from ..workload import debian
from ..workload.churn import churn
from ..workload.generate import DEFAULT_START, build
from ..workload.profile import known_profiles, load_profile

HELP = """\
A dataset is what a disk holds: an OS part (/etc, /usr, /var) and users' homes,
generated from a profile in datasets/*.yaml (or any profile file you give by path).
The same profile, data size and seed give byte-identical files. Churn applies a
day of changes on a simulated clock (day 0 is the build, at --start); file mtimes
follow that clock, and days can be applied hour by hour.

examples:
  workbench dataset list
  workbench disk create pc.img --size 512M
  workbench dataset build laptop --disk pc.img --data-size 200M --seed 1
  workbench dataset churn laptop --disk pc.img --day 1
  workbench dataset churn laptop --disk pc.img --day 2 --hours 8-12
  workbench dataset build classroom --into trees/class1   # a plain folder in the workspace
"""

BUILD_HELP = """\
Generate a profile's tree onto a disk's root filesystem (mounted for the
duration) or into a workspace folder. --data-size is the amount of file data;
the disk's own size comes from 'disk create --size'. The build is recorded in
var/lib/workbench/dataset.json inside the tree, so churn knows the seed, the
size and the clock.

examples:
  workbench dataset build laptop --disk pc.img --data-size 200M --seed 1
  workbench dataset build classroom --disk class.img --start 2026-09-01T00:00+00:00
  workbench dataset build ./my-profile.yaml --into trees/mine
"""

CHURN_HELP = """\
Apply the profile's daily changes for one day, or some hours of it: files
created, rewritten, modified in place, appended, deleted and renamed, folders
made and removed, database pages and SQLite rows updated. Every change is
stamped with its simulated time. Days and hours only go forward.

examples:
  workbench dataset churn laptop --disk pc.img --day 1
  workbench dataset churn laptop --disk pc.img --day 2 --hours 8-12
  workbench dataset churn laptop --disk pc.img --day 2 --hours 13-23 --json
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("dataset", help="list, build and churn workload datasets", description=HELP,
                            formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    p = verbs.add_parser("list", help="list the shipped profiles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_list)

    p = verbs.add_parser("build", help="generate a profile onto a fresh disk (or into a folder)",
                         description=BUILD_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("profile", help="a profile name (see 'dataset list') or a path to a YAML profile")
    _where(p)
    p.add_argument("--data-size", help="how much file data to generate, e.g. 64M, 4G (default: the profile's)")
    p.add_argument("--seed", type=int, default=1, help="the same seed gives the same bytes (default: 1)")
    p.add_argument("--start", help=f"the simulated clock at day 0, ISO time (default: {DEFAULT_START.isoformat()})")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_build)

    p = verbs.add_parser("churn", help="apply one day (or some hours) of changes to a built dataset",
                         description=CHURN_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("profile")
    _where(p)
    p.add_argument("--day", type=int, required=True, help="the day to apply (day 0 is the build day)")
    p.add_argument("--hours", default="0-23", help="the hours of that day to apply, e.g. 8-12 or 14 (default: 0-23)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_churn)


def _where(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--disk", help="a disk image in the workspace; its root partition is used")
    group.add_argument("--into", help="a plain folder in the workspace instead of a disk")


def _list(args: argparse.Namespace) -> int:
    rows = []
    for name in known_profiles():
        profile = load_profile(name)
        rows.append({"name": name, "description": profile.description, "default_data_size": profile.default_data_size,
                     "min_data_size": profile.min_data_size(), "users": list(profile.users)})  # fmt: skip
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['name']:<11} {format_bytes(row['default_data_size']):>10}  (min {row['min_data_size'] >> 20}M, "
              f"{len(row['users'])} user{'s' if len(row['users']) > 1 else ''})  {row['description']}")  # fmt: skip
    return 0


@contextlib.contextmanager
def _tree(args: argparse.Namespace, *, create: bool) -> Iterator[Path]:
    """The folder to work in: the disk's mounted root (released on the way out), or a workspace folder."""
    if args.into:
        folder = workspace.resolve(args.into)
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            raise UsageError(f"'{args.into}' is not a folder in the workspace: build a dataset into it first")
        yield folder
        return
    from ..disk.mounting import mounted
    from ..disk.table import read_table

    image = guard.check_image(args.disk)
    roles = {p.role for p in read_table(image).partitions}
    with mounted(image, "root" if "root" in roles else "data") as point:
        yield point


def _build(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    data_size = parse_size(args.data_size) if args.data_size else profile.default_data_size
    profile.check_data_size(data_size)
    start = _parse_start(args.start) if args.start else DEFAULT_START
    began = time.monotonic()
    system = debian.prepare(profile, onto_disk=bool(args.disk), say=lambda line: print(line, file=sys.stderr))
    with _tree(args, create=True) as root:
        _check_room(root, data_size, args)
        record = build(profile, root, data_size=data_size, seed=args.seed, start=start)
        debian.install(profile, system, guard.check_image(args.disk) if args.disk else None, root)
    seconds = time.monotonic() - began
    if args.json:
        print(json.dumps({**asdict(record), "start": record.start.isoformat(), "seconds": round(seconds, 3)}))
        return 0
    print(f"built {profile.name} (seed {args.seed}, {format_bytes(data_size)} of data) into {args.disk or args.into}: "
          f"{record.files} files, {record.dirs} folders, special entries: {sum(map(len, record.special_paths.values()))}, "
          f"in {seconds:.1f} s")  # fmt: skip
    return 0


def _churn(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    hours = _parse_hours(args.hours)
    with _tree(args, create=False) as root:
        record = churn(profile, root, day=args.day, hours=hours)
    if args.json:
        print(json.dumps(asdict(record)))
        return 0
    print(f"day {record.day} hours {hours[0]}-{hours[-1]}: created {len(record.created)}, modified "
          f"{len(record.modified)}, deleted {len(record.deleted)}, renamed {len(record.renamed)}, folders "
          f"+{len(record.dirs_created)} -{len(record.dirs_removed)}")  # fmt: skip
    return 0


def _parse_start(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--start '{text}' is not an ISO time: write it like 2026-01-05T00:00+00:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _parse_hours(text: str) -> list[int]:
    try:
        first, _, last = text.partition("-")
        hours = list(range(int(first), int(last or first) + 1))
    except ValueError:
        hours = []
    if not hours or hours[0] < 0 or hours[-1] > 23:
        raise UsageError(f"--hours '{text}' is not an hour range: write it like 8-12, 14 or 0-23")
    return hours


def _check_room(root: Path, data_size: int, args: argparse.Namespace) -> None:
    """Refuse early when the data cannot fit (metadata and specials need some room too)."""
    vfs = os.statvfs(root)
    free = vfs.f_bavail * vfs.f_frsize
    need = int(data_size * 1.08) + (16 << 20)
    if need > free:
        where = f"the disk {args.disk}" if args.disk else f"the folder {args.into}"
        raise UsageError(
            f"{where} has {format_bytes(free)} free, but --data-size {format_bytes(data_size)} needs about "
            f"{format_bytes(need)}: create a bigger disk ('disk create --size') or pass a smaller --data-size"
        )
