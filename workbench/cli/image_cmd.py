"""``workbench image``: whole-disk images, full and incremental, verified chunk by chunk."""

from __future__ import annotations

import argparse

from .. import workspace
from ..disk import targets
from ..progress import reporting
from ..units import parse_size
from . import strategy_common as common

HELP = """\
An image captures a whole disk: the GPT and boot area, the ESP (raw) and each
ext4 partition, of which only the blocks its bitmaps mark used are read.
Chunks of 1 MiB are compressed with zstd (on all cores) and each carries a
blake3 checksum; all-zero chunks are holes. A later image of the same disk is
incremental: it stores only the chunks whose hash changed since its parent.

The disk must not be mounted while it is imaged (or pass --freeze to fsfreeze it).
The format is described in docs/image-format.md.

examples:
  workbench image protect --disk pc.img --target images/pc
  workbench image protect --disk pc.img --target usb.img:/images --now 2026-01-31T12:00
  workbench image points --target images/pc --json
  workbench image verify --target images/pc            # exit 1 when a chunk is damaged
  workbench image restore --target images/pc --to new.img
  workbench image restore --target images/pc --point 0002 --to pc.img --force
  workbench image restore --target images/pc --to big.img --size 2G   # larger disk: backup GPT moved
  workbench image extract --target images/pc /home/user/notes.txt --to recovered/
  workbench image forget --target images/pc --keep-last 3
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("image", help="whole-disk images (full and incremental)", description=HELP,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    p = common.add_verb(verbs, HELP, "protect", "image a disk into the target (incremental when a parent exists)")
    p.add_argument("--disk", required=True, help="the workspace disk to image")
    common.add_target(p, "the image directory")
    common.add_now(p)
    p.add_argument("--full", action="store_true", help="a full image even if a parent exists")
    p.add_argument("--level", type=int, default=3, help="zstd level (default: 3)")
    p.add_argument("--freeze", action="store_true", help="fsfreeze the disk's mounted filesystems while reading")
    p.add_argument("--sync", action="store_true", help="fsync what was written (durable across a power cut)")
    common.add_json(p)
    p.set_defaults(func=_protect)

    p = common.add_verb(verbs, HELP, "points", "list the image points, oldest first")
    common.add_target(p, "the image directory")
    common.add_json(p)
    p.set_defaults(func=_points)

    p = common.add_verb(verbs, HELP, "restore", "restore a point onto a blank disk of the same size or larger")
    common.add_target(p, "the image directory")
    common.add_restore_options(p)
    common.add_json(p)
    p.set_defaults(func=_restore)

    p = common.add_verb(verbs, HELP, "verify", "read every chunk of every point; exit 1 when damage is found")
    common.add_target(p, "the image directory")
    common.add_json(p)
    p.set_defaults(func=_verify)

    p = common.add_verb(verbs, HELP, "forget", "delete points: --keep-last N, or one --point (never a needed parent)")
    common.add_target(p, "the image directory")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--keep-last", type=int, metavar="N", help="keep the newest N points and their parents")
    group.add_argument("--point", help="delete this one point (refused if others depend on it)")
    common.add_json(p)
    p.set_defaults(func=_forget)

    p = common.add_verb(verbs, HELP, "extract", "copy a file or folder out of a point, without restoring the disk")
    common.add_target(p, "the image directory")
    p.add_argument("--point", default="latest", help="point id, or 'latest' (default)")
    p.add_argument("path", metavar="PATH_IN_ROOT", help="a path inside the root filesystem, e.g. /etc/hostname")
    p.add_argument("--to", required=True, dest="destination", metavar="DIR", help="a workspace directory")
    p.add_argument("--partition", default="root", help="partition role: root (default) or data")
    p.set_defaults(func=_extract)


def _strategy(args: argparse.Namespace):
    from ..strategies.image import ImageStrategy

    return ImageStrategy(level=getattr(args, "level", 3), freeze=getattr(args, "freeze", False),
                         sync=getattr(args, "sync", False))


def _protect(args: argparse.Namespace) -> int:
    disk = common.source_disk(args.disk)
    with targets.opened(args.target) as target, reporting("imaging") as progress:
        point = _strategy(args).protect(disk, target, now=common.parse_now(args.now), full=args.full,
                                        progress=progress)
    return common.print_point(point, args.json)


def _points(args: argparse.Namespace) -> int:
    with targets.opened(args.target, create=False) as opened:
        target = common.existing(opened, args.target, "image")
        return common.print_points(_strategy(args).points(target), args.json)


def _restore(args: argparse.Namespace) -> int:
    destination = workspace.resolve(args.destination)
    size = parse_size(args.size) if args.size else None
    with targets.opened(args.target, create=False) as opened:
        target = common.existing(opened, args.target, "image")
        with reporting("restoring") as progress:
            report = _strategy(args).restore(target, args.point, destination, force=args.force,
                                             rescue=args.rescue, size=size, progress=progress)
    return common.print_restore(report, destination, args.json)


def _verify(args: argparse.Namespace) -> int:
    with targets.opened(args.target, create=False) as opened:
        target = common.existing(opened, args.target, "image")
        return common.print_verify(_strategy(args).verify(target), args.json)


def _forget(args: argparse.Namespace) -> int:
    strategy = _strategy(args)
    with targets.opened(args.target, create=False) as opened:
        target = common.existing(opened, args.target, "image")
        if args.point:
            strategy.forget(target, args.point)
            deleted, held = [args.point], []
        else:
            deleted, held = strategy.keep_last(target, args.keep_last)
    if args.json:
        common.emit({"deleted": deleted, "kept_as_parents": held})
    else:
        print(f"deleted {len(deleted)} point(s): {', '.join(deleted) or '-'}")
        if held:
            print(f"kept {', '.join(held)}: newer points still depend on them")
    return 0


def _extract(args: argparse.Namespace) -> int:
    destination = workspace.resolve(args.destination)
    with targets.opened(args.target, create=False) as opened:
        target = common.existing(opened, args.target, "image")
        copied = _strategy(args).extract(target, args.point, args.path, destination, role=args.partition)
    print(f"copied {args.path} to {workspace.display(copied)}")
    return 0
