"""``workbench backup``: versioned, deduplicated file backup (restic/borg-like)."""

from __future__ import annotations

import argparse
import json

from .. import workspace
from ..disk import targets
from ..errors import DamageFound
from ..progress import reporting
from ..units import format_bytes
from . import strategy_common as common

HELP = """\
A backup keeps history: each 'protect' adds a snapshot (a complete tree with owners,
modes, times, symlinks, hard links and xattrs) to a repository on the target. Chunks
are deduplicated by their blake3 hash and compressed with zstd; large files are cut
where their content says (content-defined chunking), so an edit adds only a few chunks.

Modes: full (read everything), incremental (read only files whose size, mtime, inode
or ctime changed since the last snapshot; --reread reads all), differential (changes
since the last full). Every snapshot restores on its own.

A target is a workspace directory, or DATA.img:/folder on a data disk.

examples:
  workbench backup protect --disk pc.img --folders home --target usb.img:/backups
  workbench backup protect --source trees/docs --target repo --mode full --now 2026-01-05T09:00
  workbench backup points --target repo --json
  workbench backup restore --target repo --point latest --to restored
  workbench backup restore --target repo --point 3f2a --path home/alice/notes.txt --to out
  workbench backup restore --target repo --to-disk pc.img --force   # over the disk's files
  workbench backup verify --target repo                 # exit 1 when damage is found
  workbench backup forget --target repo --keep-last 3 --keep-daily 7 --keep-weekly 4 --prune
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("backup", help="versioned, deduplicated file backup",
                            description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    p = verbs.add_parser("protect", help="take a snapshot of a folder or of a disk's root filesystem")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--source", help="a directory in the workspace")
    source.add_argument("--disk", help="a workbench disk image: its root filesystem is mounted and backed up")
    p.add_argument("--folders", action="append", default=[], help="top-level folder(s) to take, e.g. home (repeatable; default: all)")
    p.add_argument("--include", action="append", default=[], help="only paths matching this pattern (repeatable)")
    p.add_argument("--exclude", action="append", default=[], help="skip paths matching this pattern, e.g. '*.tmp' (repeatable)")
    p.add_argument("--target", required=True, help="repository: a workspace directory or DATA.img:/folder")
    p.add_argument("--mode", choices=("full", "incremental", "differential"), default="incremental")
    p.add_argument("--reread", action="store_true", help="hash every file, even those that look unchanged")
    p.add_argument("--now", help="snapshot time, ISO 8601 (default: the current time); the simulated clock sets it")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_protect)

    p = verbs.add_parser("points", help="list the snapshots, oldest first")
    p.add_argument("--target", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_points)

    p = verbs.add_parser("restore", help="restore a snapshot, or one file or folder of it, into a path")
    p.add_argument("--target", required=True)
    p.add_argument("--point", default="latest", help="snapshot id, a unique prefix of it, or 'latest' (default)")
    p.add_argument("--path", default="", help="only this file or folder of the snapshot (kept at its path under --to)")
    dest = p.add_mutually_exclusive_group(required=True)
    dest.add_argument("--to", help="a new or empty workspace directory (the snapshot's tree goes at its top)")
    dest.add_argument("--to-disk", help="onto the root filesystem of this disk image (a fresh one, or --force)")
    p.add_argument("--force", action="store_true",
                   help="restore over what the folder or disk holds (the snapshot's files replace theirs)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_restore)

    p = verbs.add_parser("verify", help="check the repository; exit 1 when damage is found")
    p.add_argument("--target", required=True)
    p.add_argument("--metadata-only", action="store_true", help="check indexes and snapshots only, read no chunk data")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_verify)

    p = verbs.add_parser("forget", help="drop snapshots by a keep policy (then --prune frees their space)")
    p.add_argument("--target", required=True)
    p.add_argument("--keep-last", type=int, default=0)
    p.add_argument("--keep-daily", type=int, default=0)
    p.add_argument("--keep-weekly", type=int, default=0)
    p.add_argument("--prune", action="store_true", help="also delete chunks no remaining snapshot uses")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_forget)

    p = verbs.add_parser("prune", help="delete chunks no snapshot uses, so their space is freed")
    p.add_argument("--target", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_prune)


def _strategy(args: argparse.Namespace):
    from ..strategies.backup import BackupStrategy, Selection

    selection = Selection(
        tuple(getattr(args, "folders", ())), tuple(getattr(args, "include", ())), tuple(getattr(args, "exclude", ()))
    )
    return BackupStrategy(getattr(args, "mode", "incremental"), selection, getattr(args, "reread", False))


def _protect(args: argparse.Namespace) -> int:
    now = common.parse_now(args.now)
    strategy = _strategy(args)
    with common.tree_source(args) as source, targets.opened(args.target, create=True) as target, \
            reporting("backing up", unit="B") as progress:
        point = strategy.protect(source, target, now=now, progress=progress)
    if args.json:
        print(json.dumps(point.to_json()))
    else:
        extra = point.extra
        print(
            f"snapshot {point.id} ({point.kind}) at {point.time.isoformat()}: {extra['files']} files, "
            f"{format_bytes(extra['bytes'])}; read {extra['changed_files']} changed files "
            f"({format_bytes(extra['changed_bytes'])}), stored {format_bytes(point.stored_bytes)} new "
            f"in {extra['seconds']:.2f} s"
        )
    return 0


def _points(args: argparse.Namespace) -> int:
    strategy = _strategy(args)
    with targets.opened(args.target) as target:
        points = strategy.points(target)
        used = strategy.footprint(target)
    if args.json:
        print(json.dumps([p.to_json() for p in points], indent=1))
        return 0
    print(f"{len(points)} snapshots; the repository uses {format_bytes(used)} on disk")
    for p in points:
        print(f"{p.id}  {p.time.isoformat():32}  {p.kind:12}  {p.extra['files']:7} files  "
              f"{format_bytes(p.extra['bytes']):>10}  +{format_bytes(p.stored_bytes)}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    strategy = _strategy(args)
    options = {"path": args.path, "force": args.force}
    with targets.opened(args.target) as target:
        if args.to:
            report = strategy.restore(target, args.point, workspace.resolve(args.to), **options)
        else:
            from ..disk.mounting import mounted

            with mounted(workspace.resolve(args.to_disk, must_exist=True), role="root") as point:
                targets.check_destination(point, force=args.force, disk=args.to_disk)
                report = strategy.restore(target, args.point, point, **options)
    if args.json:
        print(json.dumps({"point": report.point_id, "files": report.files, "bytes_written": report.bytes_written,
                          "warnings": report.holes}))
    else:
        print(f"restored snapshot {report.point_id}: {report.files} entries, {format_bytes(report.bytes_written)}")
        for warning in report.holes:
            print(f"  warning: {warning}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    with targets.opened(args.target) as target:
        report = _strategy(args).verify(target, metadata_only=args.metadata_only)
    mode = "metadata-only" if args.metadata_only else "full"
    if args.json:
        print(json.dumps({"mode": mode, "ok": report.ok, "checked": report.checked,
                          "damage": [vars(d) | {"affects": list(d.affects)} for d in report.damage]}, indent=1))
    else:
        print(f"verify ({mode}): checked {report.checked} snapshots and chunks, "
              f"{'no damage' if report.ok else f'{len(report.damage)} problems'}")
        for d in report.damage:
            print(f"  {d.what} {d.where}: {d.detail}" + (f" [snapshots {', '.join(d.affects)}]" if d.affects else ""))
    if not report.ok:
        if not args.json:
            raise DamageFound(f"the repository {args.target} is damaged: see the list above")
        return DamageFound.exit_code
    return 0


def _forget(args: argparse.Namespace) -> int:
    from ..strategies.backup import KeepPolicy

    strategy = _strategy(args)
    policy = KeepPolicy(args.keep_last, args.keep_daily, args.keep_weekly)
    with targets.opened(args.target) as target:
        plan = strategy.forget(target, policy)
        pruned = strategy.prune(target) if args.prune else None
    if args.json:
        print(json.dumps({"keep": plan.keep, "forget": plan.forget, "prune": vars(pruned) if pruned else None}))
        return 0
    for snap_id, reasons in plan.keep.items():
        print(f"keep   {snap_id}  ({', '.join(reasons)})")
    for snap_id in plan.forget:
        print(f"forget {snap_id}")
    if pruned:
        _print_prune(pruned)
    return 0


def _prune(args: argparse.Namespace) -> int:
    with targets.opened(args.target) as target:
        result = _strategy(args).prune(target)
    if args.json:
        print(json.dumps(vars(result)))
    else:
        _print_prune(result)
    return 0


def _print_prune(result) -> None:
    print(f"pruned: {result.chunks_removed} chunks removed, {result.packs_deleted} packs deleted, "
          f"{result.packs_rewritten} rewritten, {format_bytes(result.bytes_freed)} freed")
