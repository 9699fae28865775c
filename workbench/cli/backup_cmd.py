"""``workbench backup``: versioned, deduplicated file backup (restic/borg-like)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from ..commands import backup
from ..errors import DamageFound
from ..units import format_bytes
from . import strategy_common as common

if TYPE_CHECKING:
    from ..strategies.backup.prune import PruneResult

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
  workbench backup verify --target repo --metadata-only
  workbench backup forget --target repo --keep-last 3 --keep-daily 7 --keep-weekly 4 --prune
  workbench backup prune --target repo                  # free what forgotten snapshots used
"""

VERBS = {
    "protect": "take a snapshot of a folder or of a disk's root filesystem",
    "points": "list the snapshots, oldest first",
    "restore": "restore a snapshot, or one file or folder of it, into a folder or onto a disk",
    "verify": "check the repository; exit 1 when damage is found",
    "forget": "drop snapshots by a keep policy (then --prune frees their space)",
    "prune": "delete chunks no snapshot uses, so their space is freed",
}


def register(sub: argparse._SubParsersAction) -> None:
    verbs = common.register(sub, "backup", help="versioned, deduplicated file backup", description=HELP,
                            verbs=VERBS, target="the repository")

    p = verbs["protect"]
    p.add_argument("--folders", action="append", default=[],
                   help="top-level folder(s) to take, e.g. home (repeatable; default: all)")
    p.add_argument("--include", action="append", default=[], help="only paths matching this pattern (repeatable)")
    p.add_argument("--exclude", action="append", default=[],
                   help="skip paths matching this pattern, e.g. '*.tmp' (repeatable)")
    p.add_argument("--mode", choices=("full", "incremental", "differential"), default="incremental")
    p.add_argument("--reread", action="store_true", help="hash every file, even those that look unchanged")
    p.set_defaults(func=_protect)

    verbs["points"].set_defaults(func=_points)

    p = verbs["restore"]
    p.add_argument("--path", default="", help="only this file or folder of the snapshot (kept at its path under --to)")
    p.set_defaults(func=_restore)

    p = verbs["verify"]
    p.add_argument("--metadata-only", action="store_true", help="check indexes and snapshots only, read no chunk data")
    p.set_defaults(func=_verify)

    p = verbs["forget"]
    p.add_argument("--keep-last", type=int, default=0)
    p.add_argument("--keep-daily", type=int, default=0)
    p.add_argument("--keep-weekly", type=int, default=0)
    p.add_argument("--prune", action="store_true", help="also delete chunks no remaining snapshot uses")
    p.set_defaults(func=_forget)

    verbs["prune"].set_defaults(func=_prune)


def _protect(args: argparse.Namespace) -> int:
    point = backup.backup_protect(target=args.target, source=args.source, disk=args.disk, folders=args.folders,
                                  include=args.include, exclude=args.exclude, mode=args.mode, reread=args.reread,
                                  now=args.now)
    if args.json:
        print(json.dumps(point.to_json()))
        return 0
    extra = point.extra
    print(f"snapshot {point.id} ({point.kind}) at {point.time.isoformat()}: {extra['files']} files, "
          f"{format_bytes(extra['bytes'])}; read {extra['changed_files']} changed files "
          f"({format_bytes(extra['changed_bytes'])}), stored {format_bytes(point.stored_bytes)} new "
          f"in {extra['seconds']:.2f} s")
    return 0


def _points(args: argparse.Namespace) -> int:
    listed = backup.backup_points(target=args.target)
    if args.json:
        print(json.dumps([p.to_json() for p in listed.points], indent=1))
        return 0
    print(f"{len(listed.points)} snapshots; the repository uses {format_bytes(listed.footprint_bytes)} on disk")
    for p in listed.points:
        print(f"{p.id}  {p.time.isoformat():32}  {p.kind:12}  {p.extra['files']:7} files  "
              f"{format_bytes(p.extra['bytes']):>10}  +{format_bytes(p.stored_bytes)}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    report = backup.backup_restore(target=args.target, point=args.point, to=args.to, to_disk=args.to_disk,
                                   path=args.path, force=args.force).report
    if args.json:
        print(json.dumps({"point": report.point_id, "files": report.files, "bytes_written": report.bytes_written,
                          "warnings": report.holes}))
    else:
        print(f"restored snapshot {report.point_id}: {report.files} entries, {format_bytes(report.bytes_written)}")
        for warning in report.holes:
            print(f"  warning: {warning}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    report = backup.backup_verify(target=args.target, metadata_only=args.metadata_only)
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
    result = backup.backup_forget(target=args.target, keep_last=args.keep_last, keep_daily=args.keep_daily,
                                  keep_weekly=args.keep_weekly, prune=args.prune)
    plan, pruned = result.plan, result.pruned
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
    result = backup.backup_prune(target=args.target)
    if args.json:
        print(json.dumps(vars(result)))
    else:
        _print_prune(result)
    return 0


def _print_prune(result: PruneResult) -> None:
    print(f"pruned: {result.chunks_removed} chunks removed, {result.packs_deleted} packs deleted, "
          f"{result.packs_rewritten} rewritten, {format_bytes(result.bytes_freed)} freed")
