"""``workbench clone``: an exact, sparse replica disk, refreshed by changed blocks."""

from __future__ import annotations

import argparse

from ..commands import clone
from . import strategy_common as common

HELP = """\
A clone is an exact replica of a disk: the same size, the same bytes, sparse
where the source is sparse. It is usable as it is (attach and mount it: no
restore step). Beside it, CLONE.img.hashes records an XXH3-128 checksum per
64 KiB block at clone time: verify compares the clone against it, and a later
protect refreshes the clone by rewriting only the blocks whose hash changed.

The disk must not be mounted while it is cloned (or pass --freeze).

examples:
  workbench clone protect --disk pc.img --target clones/pc.img
  workbench clone protect --disk pc.img --target clones/pc.img     # again: a refresh
  workbench clone verify --target clones/pc.img                     # exit 1 when damaged
  workbench clone points --target clones/pc.img --json
  workbench clone restore --target clones/pc.img --to pc.img --force  # copy back onto the disk
  workbench disk mount clones/pc.img -- ls                          # or just use it
"""

VERBS = {
    "protect": "clone the disk, or refresh an existing clone",
    "points": "the clone's one point",
    "restore": "copy the clone back onto a disk (checked against its hashes)",
    "verify": "compare the clone with the hashes recorded at clone time",
}


def register(sub: argparse._SubParsersAction) -> None:
    verbs = common.register(sub, "clone", help="exact sparse disk replicas, refreshed by changed blocks",
                            description=HELP, verbs=VERBS, target="the clone's image file")
    p = verbs["protect"]
    p.add_argument("--full", action="store_true", help="rewrite the whole clone instead of refreshing it")
    p.add_argument("--freeze", action="store_true", help="fsfreeze the disk's mounted filesystems while reading")
    p.add_argument("--sync", action="store_true", help="fsync what was written (durable across a power cut)")
    p.set_defaults(func=_protect)
    common.handle_disk_verbs(verbs, points=clone.clone_points, restore=clone.clone_restore, verify=clone.clone_verify)


def _protect(args: argparse.Namespace) -> int:
    point = clone.clone_protect(disk=args.disk, target=args.target, now=args.now, full=args.full,
                                freeze=args.freeze, sync=args.sync)
    return common.print_point(point, args.json, verb="cloned" if point.extra.get("mode") == "full" else "refreshed")
