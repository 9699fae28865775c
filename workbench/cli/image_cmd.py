"""``workbench image``: whole-disk images, full and incremental, verified chunk by chunk."""

from __future__ import annotations

import argparse

from .. import workspace
from ..commands import image
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

VERBS = {
    "protect": "image a disk into the target (incremental when a parent exists)",
    "points": "list the image points, oldest first",
    "restore": "restore a point onto a blank disk of the same size or larger",
    "verify": "read every chunk of every point; exit 1 when damage is found",
    "forget": "delete points: --keep-last N, or one --point (never a needed parent)",
    "extract": "copy a file or folder out of a point, without restoring the disk",
}


def register(sub: argparse._SubParsersAction) -> None:
    verbs = common.register(sub, "image", help="whole-disk images (full and incremental)", description=HELP,
                            verbs=VERBS, target="the image directory")

    p = verbs["protect"]
    p.add_argument("--full", action="store_true", help="a full image even if a parent exists")
    p.add_argument("--level", type=int, default=3, help="zstd level (default: 3)")
    p.add_argument("--freeze", action="store_true", help="fsfreeze the disk's mounted filesystems while reading")
    p.add_argument("--sync", action="store_true", help="fsync what was written (durable across a power cut)")
    p.set_defaults(func=_protect)

    common.handle_disk_verbs(verbs, points=image.image_points, restore=image.image_restore, verify=image.image_verify)

    p = verbs["forget"]
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--keep-last", type=int, metavar="N", help="keep the newest N points and their parents")
    group.add_argument("--point", help="delete this one point (refused if others depend on it)")
    p.set_defaults(func=_forget)

    p = verbs["extract"]
    p.add_argument("--point", default="latest", help="point id, or 'latest' (default)")
    p.add_argument("path", metavar="PATH_IN_ROOT", help="a path inside the root filesystem, e.g. /etc/hostname")
    p.add_argument("--to", required=True, metavar="DIR", help="a workspace directory")
    p.add_argument("--partition", default="root", help="partition role: root (default) or data")
    p.set_defaults(func=_extract)


def _protect(args: argparse.Namespace) -> int:
    point = image.image_protect(disk=args.disk, target=args.target, now=args.now, full=args.full, level=args.level,
                                freeze=args.freeze, sync=args.sync)
    return common.print_point(point, args.json)


def _forget(args: argparse.Namespace) -> int:
    result = image.image_forget(target=args.target, keep_last=args.keep_last, point=args.point)
    if args.json:
        common.emit({"deleted": result.deleted, "kept_as_parents": result.kept_as_parents})
        return 0
    print(f"deleted {len(result.deleted)} point(s): {', '.join(result.deleted) or '-'}")
    if result.kept_as_parents:
        print(f"kept {', '.join(result.kept_as_parents)}: newer points still depend on them")
    return 0


def _extract(args: argparse.Namespace) -> int:
    copied = image.image_extract(target=args.target, path=args.path, to=args.to, point=args.point,
                                 partition=args.partition)
    if args.json:
        common.emit({"path": args.path, "copied": str(copied)})
    else:
        print(f"copied {args.path} to {workspace.display(copied)}")
    return 0
