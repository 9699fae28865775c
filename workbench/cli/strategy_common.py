"""CLI plumbing shared by the strategy commands (image, clone, backup, mirror).

Every strategy command has the same verbs; this module gives them the same
options and the same output: a table for people, ``--json`` for machines.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import workspace
from ..errors import UsageError
from ..strategies.base import RestorePoint, RestoreReport, VerifyReport
from ..units import format_bytes


def add_verb(verbs: argparse._SubParsersAction, command_help: str, name: str, help: str) -> argparse.ArgumentParser:
    """A verb parser whose --help teaches: its purpose, then the examples section of ``command_help``."""
    examples = command_help[command_help.find("examples:"):] if "examples:" in command_help else None
    return verbs.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".", epilog=examples,
                            formatter_class=argparse.RawDescriptionHelpFormatter)


def add_target(parser: argparse.ArgumentParser, what: str = "where the points are kept") -> None:
    parser.add_argument("--target", required=True, metavar="T",
                        help=f"{what}: a workspace path, or DATA.img:/folder on a data disk")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def add_now(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--now", metavar="ISO", default=None,
                        help="the (simulated) time of the point, e.g. 2026-01-31T12:00 (default: now, UTC)")


def add_restore_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--point", default="latest", help="point id (or unique prefix), or 'latest' (default)")
    parser.add_argument("--to", required=True, dest="destination", metavar="DISK_OR_PATH",
                        help="a workspace disk (overwritten only with --force), a new path, or an empty directory")
    parser.add_argument("--force", action="store_true", help="overwrite an existing disk")
    parser.add_argument("--rescue", action="store_true",
                        help="restore everything readable and report the damaged ranges as holes")
    parser.add_argument("--size", default=None, help="size of a new destination disk, e.g. 2G (default: the source's)")


def parse_now(text: str | None) -> datetime:
    """An ISO time (naive means UTC), or now."""
    if text is None:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"--now '{text}' is not an ISO 8601 time: write it like 2026-01-31T12:00") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@contextmanager
def tree_source(args: argparse.Namespace, *, writable: bool = False) -> Iterator[Path]:
    """``--source DIR`` as it is, or ``--disk D``'s root filesystem mounted (read-only unless ``writable``)."""
    if args.source:
        path = workspace.resolve(args.source)
        if not path.is_dir():
            raise UsageError(f"the source '{args.source}' does not exist or is not a directory: pass a folder to protect")
        yield path
        return
    from ..disk.mounting import mounted

    with mounted(source_disk(args.disk), role="root", readonly=not writable) as point:
        yield point


def source_disk(spec: str) -> Path:
    return workspace.resolve(spec, must_exist=True)


def existing(target: Path, spec: str, verb: str) -> Path:
    """The opened target, or a usage error naming the protect to run first."""
    if not target.exists():
        raise UsageError(f"the target '{spec}' does not exist: run 'workbench {verb} protect --target {spec}' first")
    return target


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
