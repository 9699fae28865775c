"""``workbench manifest`` and ``workbench compare-tree``: record the ground truth, then judge against it."""

from __future__ import annotations

import argparse
import json

from .. import workspace
from ..commands.manifest import compare_tree, manifest
from ..truth.judge import CATEGORIES, METADATA_FIELDS
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
    p.add_argument("--history", nargs="+", default=[], help="older manifests: content equal to one is 'stale'")
    p.add_argument("--ignore", default="",
                   help=f"metadata not to compare, comma-separated: {', '.join(METADATA_FIELDS)}")
    p.add_argument("--strict", action="store_true", help="compare every field, folder mtimes included")
    p.add_argument("--json", action="store_true", help="print every entry's verdict as JSON")
    p.set_defaults(func=_compare)


def _manifest(args: argparse.Namespace) -> int:
    recorded = manifest(args.target, out=args.out, force=args.force, include=args.include)
    summary = {"out": str(recorded.out), "entries": recorded.entries, "files": recorded.files,
               "bytes": recorded.bytes, "seconds": round(recorded.seconds, 3), "disk": recorded.disk}  # fmt: skip
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"manifest of {workspace.display(recorded.target)}: {recorded.entries} entries, {recorded.files} files, "
              f"{format_bytes(recorded.bytes)}, in {recorded.seconds:.1f} s -> {workspace.display(recorded.out)}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    judged = compare_tree(args.manifest, args.target, history=args.history, ignore=args.ignore.split(","),
                          strict=args.strict)
    result = judged.result
    if args.json:
        print(json.dumps({**result.to_json(), "disk": judged.disk_problems, "ok": judged.ok},
                         ensure_ascii=False))  # fmt: skip
    else:
        counts, sizes = result.counts(), result.bytes_by_category()
        for category in result.categories:
            print(f"{category}: {counts[category]}")
        print("bytes: " + ", ".join(f"{c} {format_bytes(sizes[c])}" for c in result.categories))
        for problem in judged.disk_problems:
            print(f"disk: {problem}")
        shown = [v for v in result.verdicts if v.category != "intact"]
        for verdict in shown[:20]:
            print(f"  {verdict.category:<10} {verdict.path}  {verdict.detail}")
        if len(shown) > 20:
            print(f"  ... and {len(shown) - 20} more (--json lists them all)")
    return 0 if judged.ok else 1
