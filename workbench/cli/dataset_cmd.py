"""``workbench dataset``: list the workload profiles, build one onto a disk, apply a day of churn."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from ..commands import dataset
from ..units import format_bytes
from ..workload.generate import DEFAULT_START
from .helptext import examples_of, verb_parser

HELP = """\
A dataset is what a disk holds: an OS part (/etc, /usr, /var) and users' homes,
generated from a profile in datasets/*.yaml (or any profile file you give by path).
The same profile, data size and seed give byte-identical files. Churn applies a
day of changes on a simulated clock (day 0 is the build, at --start); file mtimes
follow that clock, and days can be applied hour by hour.

examples:
  workbench dataset list
  workbench dataset list --json
  workbench disk create pc.img --size 512M
  workbench dataset build laptop --disk pc.img --data-size 200M --seed 1
  workbench dataset build classroom --disk class.img --start 2026-09-01T00:00+00:00
  workbench dataset build ./my-profile.yaml --into trees/mine
  workbench dataset build classroom --into trees/class1   # a plain folder in the workspace
  workbench dataset churn laptop --disk pc.img --day 1
  workbench dataset churn laptop --disk pc.img --day 2 --hours 8-12
  workbench dataset churn laptop --disk pc.img --day 2 --hours 13-23 --json
  workbench dataset profile-from ~/Documents --out my-documents.yaml
  workbench dataset profile-from ~/Documents --out my-documents.yaml --keep-names --exclude '*.iso'
"""

BUILD_DETAILS = """\
--data-size is the amount of file data; the disk's own size comes from 'disk create --size'. The build is
recorded in var/lib/workbench/dataset.json inside the tree, so churn knows the seed, the size and the clock."""

CHURN_DETAILS = """\
Files are created, rewritten, modified in place, appended, deleted and renamed, folders made and removed,
database pages and SQLite rows updated. Every change is stamped with its simulated time. Days and hours only
go forward."""


PROFILE_FROM_DETAILS = """\
Files are grouped by folder and extension and cut into size bands, so sizes match in quantiles, not only in total;
each group notes the zstd ratio of a sample of its files, which picks the kind of content generated. Hard links,
symlinks, sparse files, xattrs, fifos and empty files become special entries, one for one. Build it with
'dataset build my-folder.yaml' or compare on it with 'compare --profile my-folder.yaml'."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("dataset", help="list, build and churn workload datasets", description=HELP,
                            formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    p = _verb(verbs, "list", "list the shipped profiles", "Each with its default and smallest data size and its users.")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_list)

    p = _verb(verbs, "build", "generate a profile onto a disk's root filesystem (mounted meanwhile) or into a folder",
              BUILD_DETAILS)
    p.add_argument("profile", help="a profile name (see 'dataset list') or a path to a YAML profile")
    _where(p)
    p.add_argument("--data-size", help="how much file data to generate, e.g. 64M, 4G (default: the profile's)")
    p.add_argument("--seed", type=int, default=1, help="the same seed gives the same bytes (default: 1)")
    p.add_argument("--start", help=f"the simulated clock at day 0, ISO time (default: {DEFAULT_START.isoformat()})")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_build)

    p = _verb(verbs, "churn", "apply one day (or some hours) of the profile's changes to a built dataset",
              CHURN_DETAILS)
    p.add_argument("profile")
    _where(p)
    p.add_argument("--day", type=int, required=True, help="the day to apply (day 0 is the build day)")
    p.add_argument("--hours", default="0-23", help="the hours of that day to apply, e.g. 8-12 or 14 (default: 0-23)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_churn)


    p = _verb(verbs, "profile-from", "write a profile with the shape of a real folder (only read), none of its data",
              PROFILE_FROM_DETAILS)
    p.add_argument("folder", help="the folder to read")
    p.add_argument("--out", required=True, help="the profile file to write, e.g. my-folder.yaml")
    p.add_argument("--keep-names", action="store_true", help="keep the folder's file and folder names "
                   "(default: made up, so the profile can be shared)")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="leave out names (*.iso) or paths (Videos/raw) (repeatable)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_profile_from)


def _verb(verbs: argparse._SubParsersAction, name: str, help: str, details: str) -> argparse.ArgumentParser:
    return verb_parser(verbs, name, help, examples_of(HELP, f"workbench dataset {name}"),
                       details=" ".join(details.split()))


def _where(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--disk", help="a disk image in the workspace; its root partition is used")
    group.add_argument("--into", help="a plain folder in the workspace instead of a disk")


def _list(args: argparse.Namespace) -> int:
    rows = dataset.dataset_list()
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
        return 0
    for row in rows:
        print(f"{row.name:<11} {format_bytes(row.default_data_size):>10}  (min {row.min_data_size >> 20}M, "
              f"{len(row.users)} user{'s' if len(row.users) > 1 else ''})  {row.description}")  # fmt: skip
    return 0


def _build(args: argparse.Namespace) -> int:
    built = dataset.dataset_build(args.profile, disk=args.disk, into=args.into, data_size=args.data_size,
                                  seed=args.seed, start=args.start, say=lambda line: print(line, file=sys.stderr))
    record = built.record
    if args.json:
        print(json.dumps({**asdict(record), "start": record.start.isoformat(), "seconds": round(built.seconds, 3)}))
        return 0
    print(f"built {record.profile} (seed {record.seed}, {format_bytes(record.data_size)} of data) into "
          f"{args.disk or args.into}: {record.files} files, {record.dirs} folders, special entries: "
          f"{sum(map(len, record.special_paths.values()))}, in {built.seconds:.1f} s")  # fmt: skip
    return 0


def _churn(args: argparse.Namespace) -> int:
    record = dataset.dataset_churn(args.profile, day=args.day, disk=args.disk, into=args.into, hours=args.hours)
    if args.json:
        print(json.dumps(asdict(record)))
        return 0
    print(f"day {record.day} hours {record.hours[0]}-{record.hours[-1]}: created {len(record.created)}, modified "
          f"{len(record.modified)}, deleted {len(record.deleted)}, renamed {len(record.renamed)}, folders "
          f"+{len(record.dirs_created)} -{len(record.dirs_removed)}")  # fmt: skip
    return 0


def _profile_from(args: argparse.Namespace) -> int:
    written = dataset.dataset_profile_from(args.folder, out=args.out, keep_names=args.keep_names,
                                           exclude=args.exclude)
    shape, profile = written.shape, written.profile
    if args.json:
        print(json.dumps({"path": str(written.path), **asdict(shape), "groups": len(profile.groups),
                          "specials_written": len(profile.specials)}))
        return 0
    specials = ", ".join(f"{kind} {count}" for kind, count in shape.specials.items() if count) or "none"
    print(f"wrote {written.path}: {shape.files} files, {format_bytes(shape.bytes)}, median "
          f"{format_bytes(shape.median_size)}, in {len(profile.groups)} groups; special entries: {specials}")
    return 0
