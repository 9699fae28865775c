"""``workbench mirror``: one copy kept in step (rsync, lsyncd, Unison and RAID1 alike)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..commands import mirror
from ..errors import DamageFound
from ..units import format_bytes
from . import strategy_common as common

HELP = """\
A mirror keeps ONE copy in step with the source: a plain, browsable tree at the
target's top level. It is not a backup: a deletion or an encrypted file on the
source reaches the mirror too. It has one restore point, 'now'.

Modes:
  sync        one-way, like 'rsync -a --delete' (also hard links and xattrs); run it on
              a schedule. Quick-check compares size+mtime; --checksum compares content
              (blake3), so silent bit rot on the source IS copied over the good mirror,
              and the hashes recorded at sync time let 'verify' check the mirror.
              Files land atomically but, as with rsync, the kernel writes them out
              later; --sync writes the target out before the record, so after a
              power cut the mirror's point is the last one or this one, whole.
  continuous  watches the source (inotify) and syncs each change after --delay seconds,
              like lsyncd; runs until Ctrl-C or --for SECONDS, then prints event counts
              and propagation delays.
  two-way     Unison-like: changes on either side propagate. Both sides changed: the
              newer wins and the other is kept as NAME.conflict-<side>-<time>; modified
              on one side and deleted on the other: the modified one is kept.
  raid1       a btrfs raid1 filesystem over two loop disks (TARGET/raid1-a.img and
              raid1-b.img); protect copies the source onto it. Usable capacity is half.
              verify is a scrub (btrfs repairs a bad copy from the good one).

The target's top level also holds the mirror's own record (.workbench-mirror.json, or
.workbench-twoway.json, the two-way state database); they are not part of the tree.
A target is a workspace directory, or DATA.img:/folder on a data disk.

examples:
  workbench mirror protect --mode sync --source trees/docs --target usb.img:/mirror
  workbench mirror protect --mode sync --checksum --disk pc.img --target mirror
  workbench mirror protect --mode continuous --source trees/docs --target mirror --for 60 --delay 0.5
  workbench mirror protect --mode two-way --source laptop-docs --target desktop-docs
  workbench mirror protect --mode raid1 --source trees/docs --target pair --half-size 256M
  workbench mirror points --target mirror --json
  workbench mirror restore --target mirror --to restored
  workbench mirror restore --target pair --to-disk fresh.img
  workbench mirror verify --target pair             # exit 1 when damage is found
"""

VERBS = {
    "protect": "sync the target with the source (or build the raid1 pair)",
    "points": "list the restore point ('now')",
    "restore": "copy the mirror back into a folder, or onto a disk's root filesystem",
    "verify": "check the mirror; exit 1 when damage is found",
}


def register(sub: argparse._SubParsersAction) -> None:
    verbs = common.register(sub, "mirror", help="mirroring: one-way, continuous, two-way, raid1", description=HELP,
                            verbs=VERBS, target="the mirror's folder")
    p = verbs["protect"]
    p.add_argument("--checksum", action="store_true", help="compare content, not size+mtime (sync, continuous)")
    p.add_argument("--delay", type=float, default=0.2, help="continuous: seconds to gather events (default 0.2)")
    p.add_argument("--for", dest="seconds", type=float, help="continuous: stop after this many seconds")
    p.add_argument("--half-size", default="256M", help="raid1: size of each half (default 256M)")
    p.add_argument("--sync", action="store_true",
                   help="sync mode: write the target out before the record (durable across a power cut)")
    p.set_defaults(func=_protect)
    verbs["points"].set_defaults(func=_points)
    verbs["restore"].set_defaults(func=_restore)
    verbs["verify"].set_defaults(func=_verify)


def _protect(args: argparse.Namespace) -> int:
    if args.mode == "continuous":
        return _watch(args)
    synced = mirror.mirror_protect(target=args.target, source=args.source, disk=args.disk, mode=args.mode,
                                   checksum=args.checksum, now=args.now, half_size=args.half_size, sync=args.sync)
    point = synced.point
    if args.json:
        print(json.dumps({"strategy": synced.strategy, "variant": synced.variant, **point.to_json()}))
        return 0
    extra = point.extra
    label = synced.strategy + (f" ({synced.variant})" if synced.variant else "")
    if args.mode == "two-way":
        print(f"{label}: {extra['to_target']} to the target, {extra['to_source']} to the source, deleted "
              f"{extra['deleted_on_target']} + {extra['deleted_on_source']}, {format_bytes(point.stored_bytes)} "
              f"copied in {extra['seconds']:.2f} s")
        for conflict in extra["conflicts"]:
            print(f"  conflict ({conflict['kind']}) {conflict['path']}: {conflict['resolution']}")
        return 0
    print(f"{label}: {extra['files']} files, {format_bytes(extra['bytes'])}; created {extra['created']}, "
          f"updated {extra['updated']}, deleted {extra['deleted']}, renamed {extra['renamed']}, "
          f"copied {format_bytes(extra['bytes_copied'])} in {extra['seconds']:.2f} s")
    if args.mode == "raid1":
        print(f"  raid1 capacity: {format_bytes(extra['usable_bytes'])} usable of "
              f"{format_bytes(extra['raw_bytes'])} raw")
    return 0


def _watch(args: argparse.Namespace) -> int:
    def started(source: Path) -> None:
        if not args.json:
            print(f"watching {source} (delay {args.delay:g} s); Ctrl-C stops", flush=True)

    watched = mirror.mirror_watch(target=args.target, source=args.source, disk=args.disk, checksum=args.checksum,
                                  delay=args.delay, seconds=args.seconds, on_start=started, sync=args.sync)
    summary = {"strategy": watched.strategy, "variant": watched.variant, **watched.summary}
    if args.json:
        print(json.dumps(summary))
        return 0
    events = ", ".join(f"{kind} {count}" for kind, count in sorted(summary["events"].items())) or "none"
    print(f"events: {events}; {summary['batches']} batches, {summary['paths_synced']} paths synced, "
          f"{format_bytes(summary['bytes_copied'])} copied")
    if summary["delay_median_s"] is not None:
        print(f"propagation delay: median {summary['delay_median_s']:.3f} s, p95 {summary['delay_p95_s']:.3f} s, "
              f"max {summary['delay_max_s']:.3f} s")
    for error in summary["errors"]:
        print(f"  error: {error}")
    return 0


def _points(args: argparse.Namespace) -> int:
    points = mirror.mirror_points(target=args.target, mode=args.mode).points
    if args.json:
        print(json.dumps([p.to_json() for p in points], indent=1))
        return 0
    if not points:
        print("no restore point yet: run 'workbench mirror protect'")
    for p in points:
        print(f"{p.id}  {p.time.isoformat()}  {p.kind}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    report = mirror.mirror_restore(target=args.target, to=args.to, to_disk=args.to_disk, point=args.point,
                                   mode=args.mode, force=args.force).report
    if args.json:
        print(json.dumps({"point": report.point_id, "files": report.files, "bytes_written": report.bytes_written}))
    else:
        print(f"restored the mirror ({report.point_id}): {report.files} files, "
              f"{format_bytes(report.bytes_written)} written")
    return 0


def _verify(args: argparse.Namespace) -> int:
    checked = mirror.mirror_verify(target=args.target, mode=args.mode)
    mode, report = checked.mode, checked.report
    if args.json:
        print(json.dumps({"mode": mode, "ok": report.ok, "checked": report.checked,
                          "damage": [vars(d) | {"affects": list(d.affects)} for d in report.damage]}, indent=1))
    else:
        unit = "blocks of 4 KiB (scrub)" if mode == "raid1" else "files"
        print(f"verify ({mode}): checked {report.checked} {unit}, "
              f"{'no damage' if report.ok else f'{len(report.damage)} problems'}")
        for d in report.damage:
            print(f"  {d.what} {d.where}: {d.detail}")
    if not report.ok:
        if not args.json:
            raise DamageFound(f"the mirror {args.target} is damaged: see the list above")
        return DamageFound.exit_code
    return 0
