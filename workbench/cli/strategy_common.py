"""The strategy commands' verbs, generated from the strategy table, and the output they share.

Every strategy command (image, clone, backup, mirror) has the verbs the table
(``strategies.catalog``) lists for it. ``register`` makes them all, each with
its description and its examples, and adds the options every strategy shares
once: the target, the source (a disk, or for a file-level strategy a folder
or a disk), the point's time, where a restore goes, ``--mode`` for a command
that drives several strategies, and ``--json``. A command's module then adds
only its own options and verbs' handlers (a block-level command binds points,
restore and verify with ``handle_disk_verbs``). Output is a table for people
and ``--json`` for machines.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import workspace
from ..commands.common import PointList, Restored
from ..strategies import catalog
from ..strategies.base import RestorePoint, RestoreReport, VerifyReport
from ..units import format_bytes
from .helptext import examples_of, verb_parser


def register(sub: argparse._SubParsersAction, command: str, *, help: str, description: str,
             verbs: Mapping[str, str], target: str) -> dict[str, argparse.ArgumentParser]:
    """The command's parser and one parser per verb of the table, with the shared options; returns the verbs.

    ``verbs`` gives each verb its one-line help and must name exactly the table's
    verbs for the command; ``description`` is the command's --help, whose examples
    section gives each verb its examples; ``target`` says what the target holds.
    """
    listed = catalog.verbs_of(command)
    if set(verbs) != set(listed):
        raise AssertionError(f"{command}: verbs {sorted(verbs)} differ from the strategy table's {sorted(listed)}")
    sources = {row.source for row in catalog.rows_of(command)}
    if len(sources) != 1:
        raise AssertionError(f"{command}: its strategies read different sources {sorted(sources)}")
    source = sources.pop()
    modes = catalog.modes_of(command)
    parser = sub.add_parser(command, help=help, description=description,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    made = {}
    for verb in listed:
        p = verb_parser(subparsers, verb, verbs[verb], examples_of(description, f"workbench {command} {verb}"))
        p.add_argument("--target", required=True, metavar="T",
                       help=f"{target}: a workspace path, or DATA.img:/folder on a data disk")
        if modes:
            _add_mode(p, modes, protect=verb == "protect")
        if verb == "protect":
            _add_source(p, source)
            p.add_argument("--now", metavar="ISO", default=None,
                           help="the (simulated) time of the point, e.g. 2026-01-31T12:00 (default: now, UTC)")
        elif verb == "restore":
            p.add_argument("--point", default="latest", help="point id (or unique prefix), or 'latest' (default)")
            _add_destination(p, source)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        made[verb] = p
    return made


def _add_mode(parser: argparse.ArgumentParser, modes: Sequence[str], *, protect: bool) -> None:
    if protect:
        parser.add_argument("--mode", choices=modes, default=modes[0], help=f"default: {modes[0]}")
    else:
        parser.add_argument("--mode", choices=modes, help="default: recognised from the target")


def _add_source(parser: argparse.ArgumentParser, source: str) -> None:
    if source == "disk":
        parser.add_argument("--disk", required=True, help="the workspace disk to read (not mounted, or --freeze)")
        return
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--source", help="a directory in the workspace")
    group.add_argument("--disk", help="a workbench disk image: its root filesystem is mounted and read")


def _add_destination(parser: argparse.ArgumentParser, source: str) -> None:
    if source == "disk":
        parser.add_argument("--to", required=True, metavar="DISK_OR_PATH",
                            help="a workspace disk (overwritten only with --force), a new path, or an empty directory")
        parser.add_argument("--force", action="store_true", help="overwrite an existing disk")
        parser.add_argument("--rescue", action="store_true",
                            help="restore everything readable and report the damaged ranges as holes")
        parser.add_argument("--size", default=None,
                            help="size of a new destination disk, e.g. 2G (default: the source's)")
        return
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--to", help="a new or empty workspace directory (the point's tree goes at its top)")
    group.add_argument("--to-disk", help="onto the root filesystem of this disk image (a fresh one, or --force)")
    parser.add_argument("--force", action="store_true",
                        help="restore over what the folder or disk holds (the point's files replace theirs)")


def handle_disk_verbs(verbs: Mapping[str, argparse.ArgumentParser], *, points: Callable[..., PointList],
                      restore: Callable[..., Restored], verify: Callable[..., VerifyReport]) -> None:
    """Bind the points, restore and verify verbs of a block-level command (image, clone) to its functions:
    ``register`` gives those verbs the same options in both, so they are handled alike."""

    def handle_points(args: argparse.Namespace) -> int:
        return print_points(points(target=args.target).points, args.json)

    def handle_restore(args: argparse.Namespace) -> int:
        restored = restore(target=args.target, to=args.to, point=args.point, force=args.force, rescue=args.rescue,
                           size=args.size)
        return print_restore(restored.report, restored.destination, args.json)

    def handle_verify(args: argparse.Namespace) -> int:
        return print_verify(verify(target=args.target), args.json)

    verbs["points"].set_defaults(func=handle_points)
    verbs["restore"].set_defaults(func=handle_restore)
    verbs["verify"].set_defaults(func=handle_verify)


def emit(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def print_point(point: RestorePoint, as_json: bool, verb: str = "protected") -> int:
    if as_json:
        emit(point.to_json())
        return 0
    extra = point.extra
    parts = [f"{verb}: point {point.id} ({point.kind}", f"stored {format_bytes(point.stored_bytes)}"]
    if "bytes_read" in extra:
        parts.append(f"read {format_bytes(extra['bytes_read'])}")
    if "bytes_written" in extra:
        parts.append(f"wrote {format_bytes(extra['bytes_written'])}")
    if "seconds" in extra:
        parts.append(f"{extra['seconds']:.2f} s")
    print(", ".join(parts) + ")")
    return 0


def print_points(points: Sequence[RestorePoint], as_json: bool) -> int:
    """Oldest first; JSON: a list of objects with at least id, time and kind."""
    if as_json:
        emit([p.to_json() for p in points])
        return 0
    if not points:
        print("no points yet")
        return 0
    print(f"{'id':28} {'time':26} {'kind':12} {'parent':28} stored")
    for p in points:
        print(f"{p.id:28} {p.time.isoformat(timespec='seconds'):26} {p.kind:12} "
              f"{p.parent or '-':28} {format_bytes(p.stored_bytes)}")
    return 0


def print_verify(report: VerifyReport, as_json: bool) -> int:
    """Print a verify report; the exit code is 1 when damage was found."""
    if as_json:
        emit({"ok": report.ok, "checked": report.checked,
              "damage": [{"what": d.what, "where": d.where, "detail": d.detail, "affects": list(d.affects)}
                         for d in report.damage]})
    else:
        for d in report.damage:
            affects = f" [affects: {', '.join(d.affects)}]" if d.affects else ""
            print(f"DAMAGED {d.what} {d.where}: {d.detail}{affects}")
        state = "ok" if report.ok else f"{len(report.damage)} damaged"
        print(f"verify: {report.checked} checked, {state}")
    return 0 if report.ok else 1


def print_restore(report: RestoreReport, destination: Path, as_json: bool) -> int:
    if as_json:
        emit({"point": report.point_id, "destination": str(destination), "bytes_written": report.bytes_written,
              "files": report.files, "holes": report.holes})
        return 0
    print(f"restored point {report.point_id} to {workspace.display(destination)} "
          f"({format_bytes(report.bytes_written)} written)")
    for hole in report.holes:
        print(f"HOLE {hole}")
    return 0
