"""``workbench manifest`` and ``workbench compare-tree``: record the ground truth, then judge against it."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from .. import workspace
from ..truth.disk_manifest import disk_differences, load_any, take_disk_manifest
from ..truth.judge import CATEGORIES, DEFAULT_IGNORE, METADATA_FIELDS, compare
from ..truth.manifest import take_manifest
from ..units import format_bytes

MANIFEST_HELP = """\
Record the state of a tree (a folder) or of a whole disk image: every entry's
type, size, mode, owner, mtime (ns), symlink target, hard-link group, xattrs and a
BLAKE3 hash of its content. For a disk image it also records the partition
table entries, the boot-code area (bytes 0-439) and the ESP's files; the root
filesystem is mounted read-only.

examples:
  workbench manifest pc.img --out truth/day0.json
  workbench manifest pc.img --include home --out truth/home-day0.json
  workbench manifest trees/class1 --out truth/class1.json
"""

COMPARE_HELP = f"""\
Judge a tree or disk against a manifest. Every entry lands in exactly one
category: {', '.join(CATEGORIES)}; with --history, also 'stale' (the content
equals an earlier manifest's version). Folder mtimes are not compared unless
--strict (restoring files into a folder changes its mtime). The exit code is 1
when anything is not intact.

examples:
  workbench compare-tree truth/day0.json restored.img
  workbench compare-tree truth/day0.json trees/restored --json
  workbench compare-tree truth/day3.json pc.img --history truth/day1.json truth/day2.json
  workbench compare-tree truth/day0.json pc.img --ignore owner,mtime
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("manifest", help="record a tree's or disk's ground truth (BLAKE3 manifest)",
                       description=MANIFEST_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("target", help="a disk image or a folder in the workspace")
    p.add_argument("--out", required=True, metavar="PATH",
                   help="where to write the manifest (JSON), in the workspace; an existing file only with --force")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.add_argument("--include", action="append", help="only this folder of the filesystem (repeatable), e.g. home")
    p.add_argument("--json", action="store_true", help="print a summary as JSON")
    p.set_defaults(func=_manifest)

    p = sub.add_parser("compare-tree", help="judge a tree or disk against a manifest",
                       description=COMPARE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("manifest", help="a manifest file made by 'workbench manifest'")
    p.add_argument("target", help="a disk image or a folder in the workspace")
    p.add_argument("--history", nargs="+", default=None, help="older manifests: content equal to one is 'stale'")
    p.add_argument("--ignore", default=None, help=f"metadata not to compare, comma-separated: {', '.join(METADATA_FIELDS)}")
    p.add_argument("--strict", action="store_true", help="compare every field, folder mtimes included")
    p.add_argument("--json", action="store_true", help="print every entry's verdict as JSON")
    p.set_defaults(func=_compare)


def _is_disk(path: Path) -> bool:
    return path.is_file()


def _manifest(args: argparse.Namespace) -> int:
    target = workspace.resolve(args.target, must_exist=True)
    out = workspace.new_file(args.out, overwrite=args.force)
    began = time.monotonic()
    if _is_disk(target):
        disk = take_disk_manifest(target, include=args.include)
        disk.save(out)
        tree = disk.root
    else:
        tree = take_manifest(target, include=args.include)
        tree.save(out)
    seconds = time.monotonic() - began
    files = sum(1 for _ in tree.files()) if tree else 0
    total = tree.total_bytes() if tree else 0
    summary = {"out": str(out), "entries": len(tree.entries) if tree else 0, "files": files, "bytes": total,
               "seconds": round(seconds, 3), "disk": _is_disk(target)}  # fmt: skip
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"manifest of {workspace.display(target)}: {summary['entries']} entries, {files} files, "
              f"{format_bytes(total)}, in {seconds:.1f} s -> {workspace.display(out)}")  # fmt: skip
    return 0


def _compare(args: argparse.Namespace) -> int:
    expected, expected_disk = load_any(workspace.resolve(args.manifest, must_exist=True))
    history = [load_any(workspace.resolve(h, must_exist=True))[0] for h in args.history] if args.history else None
    target = workspace.resolve(args.target, must_exist=True)
    ignore = set() if args.strict else set(DEFAULT_IGNORE)
    if args.ignore:
        ignore |= {name.strip() for name in args.ignore.split(",") if name.strip()}
    disk_problems: list[str] = []
    if _is_disk(target):
        actual_disk = take_disk_manifest(target, include=expected.include)
        actual = actual_disk.root
        if expected_disk is not None:
            disk_problems = disk_differences(expected_disk, actual_disk)
        if actual is None:
            disk_problems.append("no root or data filesystem found on the disk")
            actual = type(expected)({})
    else:
        actual = take_manifest(target, include=expected.include)
    result = compare(expected, actual, ignore=ignore, history=history)
    if args.json:
        print(json.dumps({**result.to_json(), "disk": disk_problems, "ok": result.ok and not disk_problems},
                         ensure_ascii=False))  # fmt: skip
    else:
        counts, sizes = result.counts(), result.bytes_by_category()
        for category in result.categories:
            print(f"{category}: {counts[category]}")
        print("bytes: " + ", ".join(f"{c} {format_bytes(sizes[c])}" for c in result.categories))
        for problem in disk_problems:
            print(f"disk: {problem}")
        shown = [v for v in result.verdicts if v.category != "intact"]
        for verdict in shown[:20]:
            print(f"  {verdict.category:<10} {verdict.path}  {verdict.detail}")
        if len(shown) > 20:
            print(f"  ... and {len(shown) - 20} more (--json lists them all)")
    return 0 if result.ok and not disk_problems else 1
