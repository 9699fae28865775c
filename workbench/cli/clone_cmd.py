"""``workbench clone``: an exact, sparse replica disk, refreshed by changed blocks."""

from __future__ import annotations

import argparse

from .. import workspace
from ..disk import targets
from ..progress import reporting
from ..units import parse_size
from . import strategy_common as common

HELP = """\
A clone is an exact replica of a disk: the same size, the same bytes, sparse
where the source is sparse. It is usable as it is (attach and mount it: no
restore step). Beside it, CLONE.img.hashes records a blake3 per 64 KiB block
at clone time: verify compares the clone against it, and a later protect
refreshes the clone by rewriting only the blocks whose hash changed.

The disk must not be mounted while it is cloned (or pass --freeze).

examples:
  workbench clone protect --disk pc.img --target clones/pc.img
  workbench clone protect --disk pc.img --target clones/pc.img     # again: a refresh
  workbench clone verify --target clones/pc.img                     # exit 1 when damaged
  workbench clone points --target clones/pc.img --json
  workbench clone restore --target clones/pc.img --to pc.img --force  # copy back onto the disk
  workbench disk mount clones/pc.img -- ls                          # or just use it
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("clone", help="exact sparse disk replicas, refreshed by changed blocks",
                            description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    p = common.add_verb(verbs, HELP, "protect", "clone the disk, or refresh an existing clone")
    p.add_argument("--disk", required=True, help="the workspace disk to clone")
    common.add_target(p, "the clone's image file")
    common.add_now(p)
    p.add_argument("--full", action="store_true", help="rewrite the whole clone instead of refreshing it")
    p.add_argument("--freeze", action="store_true", help="fsfreeze the disk's mounted filesystems while reading")
    p.add_argument("--sync", action="store_true", help="fsync what was written (durable across a power cut)")
    common.add_json(p)
    p.set_defaults(func=_protect)

    p = common.add_verb(verbs, HELP, "points", "the clone's one point")
    common.add_target(p, "the clone's image file")
    common.add_json(p)
    p.set_defaults(func=_points)

    p = common.add_verb(verbs, HELP, "restore", "copy the clone back onto a disk (checked against its hashes)")
    common.add_target(p, "the clone's image file")
    common.add_restore_options(p)
    common.add_json(p)
    p.set_defaults(func=_restore)

    p = common.add_verb(verbs, HELP, "verify", "compare the clone with the hashes recorded at clone time")
    common.add_target(p, "the clone's image file")
    common.add_json(p)
    p.set_defaults(func=_verify)


def _strategy(args: argparse.Namespace):
    from ..strategies.clone import CloneStrategy

    return CloneStrategy(freeze=getattr(args, "freeze", False),
                         sync=getattr(args, "sync", False))


def _protect(args: argparse.Namespace) -> int:
    disk = common.source_disk(args.disk)
    with targets.opened(args.target) as target, reporting("cloning") as progress:
        point = _strategy(args).protect(disk, target, now=common.parse_now(args.now), full=args.full,
                                        progress=progress)
    return common.print_point(point, args.json, verb="cloned" if point.extra.get("mode") == "full" else "refreshed")


def _points(args: argparse.Namespace) -> int:
    with targets.opened(args.target, create=False) as opened:
        target = common.existing(opened, args.target, "clone")
        return common.print_points(_strategy(args).points(target), args.json)


def _restore(args: argparse.Namespace) -> int:
    destination = workspace.resolve(args.destination)
    size = parse_size(args.size) if args.size else None
    with targets.opened(args.target, create=False) as opened:
        target = common.existing(opened, args.target, "clone")
        report = _strategy(args).restore(target, args.point, destination, force=args.force,
                                         rescue=args.rescue, size=size)
    return common.print_restore(report, destination, args.json)


def _verify(args: argparse.Namespace) -> int:
    with targets.opened(args.target, create=False) as opened:
        target = common.existing(opened, args.target, "clone")
        return common.print_verify(_strategy(args).verify(target), args.json)
