"""``workbench fault``: inject real damage into a disk or a target, and see what the disk can heal itself."""

from __future__ import annotations

import argparse
import json
import shlex

from .. import workspace
from ..disk.repair import rebuild_gpt_from_backup, repair_from_backup_superblock
from ..faults import KINDS, FaultRecord, inject
from ..faults.select import MODES
from ..faults.table import FILLS, WHICH
from ..units import format_bytes, parse_size

HELP = """\
Each fault is done the way it happens for real, is repeatable for a seed, and
prints a record of exactly what it touched (bytes, bits, files, key).

kinds:
  deletion              files (--count) or a whole folder (--whole-folder) under --folder
  bitrot                --count bits flipped in file data under the filesystem (uniform|clustered)
  bad-sectors           --count sectors become random bytes (--where files|root|esp|disk)
  ransomware            --fraction of the files under --folder encrypted (AES-256-CTR), renamed, a note left
  partition-wipe        protective MBR entries + both GPT copies (--which both|primary|backup)
  boot-wipe             bytes 0-439 of sector 0 zeroed
  superblock            the root filesystem's primary superblock XORed with random bytes
  disk-loss             the disk image is deleted
  target-corruption     --count bits flipped in --target (a repository folder, an image, a clone)
  crash-during-protect  runs --run 'CMD' and SIGKILLs it (--after S, or --when-path P [--min-bytes N])

Raw-byte faults need the disk detached (not mounted). Paths are inside the workspace.

examples:
  workbench fault inject bitrot --disk pc.img --seed 1 --count 16 --mode clustered
  workbench fault inject deletion --disk pc.img --folder home/alice --count 3 --json
  workbench fault inject ransomware --disk pc.img --fraction 0.3 --seed 7 --json > attack.json
  workbench fault inject partition-wipe --disk pc.img --which primary
  workbench fault inject target-corruption --target backups/repo --count 4
  workbench fault inject crash-during-protect --when-path backups/repo --min-bytes 1M \\
      --run 'workbench backup protect pc.img backups/repo'
  workbench fault repair superblock --disk pc.img     # e2fsck with a backup superblock
  workbench fault repair gpt --disk pc.img            # rebuild the GPT from its other copy
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("fault", help="inject real damage (bit rot, ransomware, wipes...) and self-repair",
                            description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    p = verbs.add_parser("inject", help="inject one fault and print its record",
                         description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=KINDS, metavar="KIND", help=", ".join(KINDS))
    p.add_argument("--disk", help="the disk image to damage (relative to the workspace)")
    p.add_argument("--target", help="target-corruption: a repository folder, an image or a clone")
    p.add_argument("--seed", type=int, default=0, help="the same seed on the same disk does the same damage")
    p.add_argument("--count", type=int, help="files to delete, bits to flip or sectors to spoil")
    p.add_argument("--folder", action="append", dest="folders",
                   help="folder on the disk to choose from (repeatable; default: home)")
    p.add_argument("--whole-folder", action="store_true", help="deletion: delete one whole folder")
    p.add_argument("--mode", choices=MODES, default="uniform", help="bit flips spread out, or clustered")
    p.add_argument("--which", choices=WHICH, default="both", help="partition-wipe: which table copies")
    p.add_argument("--fill", choices=FILLS, default="zero", help="partition-wipe: zeros, or random garbage")
    p.add_argument("--fraction", type=float, default=0.5, help="ransomware: share of the files (default 0.5)")
    p.add_argument("--where", default="files", help="bad-sectors: files, a partition role (root, esp) or disk")
    p.add_argument("--after", type=float, help="crash: kill after this many seconds")
    p.add_argument("--when-path", help="crash: kill when this file or folder appears (or grows past --min-bytes)")
    p.add_argument("--min-bytes", default="0", help="crash: size --when-path must reach, e.g. 1M")
    p.add_argument("--json", action="store_true", help="print the record as JSON")
    p.add_argument("--run", metavar="'CMD ARGS'", help="crash: the command to run and kill, quoted as one argument")
    p.set_defaults(func=_inject)

    p = verbs.add_parser("repair", help="what the disk can do for itself: backup superblock, GPT backup copy")
    p.add_argument("what", choices=("superblock", "gpt"))
    p.add_argument("--disk", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_repair)


def _inject(args: argparse.Namespace) -> int:
    command = shlex.split(args.run) if args.run else []
    record = inject(
        args.kind, disk=args.disk, target=args.target, seed=args.seed, count=args.count,
        folders=args.folders or ["home"], whole_folder=args.whole_folder, mode=args.mode, which=args.which,
        fill=args.fill, fraction=args.fraction, where=args.where, command=command, after_s=args.after,
        when_path=None if args.when_path is None else workspace.resolve(args.when_path),
        min_bytes=parse_size(args.min_bytes),
    )
    print(record.dumps() if args.json else describe(record))
    return 0


def describe(record: FaultRecord, *, limit: int = 10) -> str:
    """The record as a few lines a person reads."""
    lines = [f"{record.kind} (seed {record.seed}) on {record.target}"]
    if record.bits:
        lines.append(f"  {len(record.bits)} bits flipped:")
        lines += [f"    offset {f.offset} bit {f.bit}" + (f"  {f.file} @ {f.file_offset}" if f.file else "")
                  for f in record.bits[:limit]]
    for span in record.ranges[:limit]:
        changed = "" if span.changed_bytes is None else f", {span.changed_bytes} bytes changed"
        lines.append(f"  bytes {span.offset}..{span.end} ({format_bytes(span.length)}{changed})")
    if record.files:
        lines.append(f"  {len(record.files)} files:")
        lines += [f"    {name}" for name in record.files[:limit]]
        if len(record.files) > limit:
            lines.append(f"    ... and {len(record.files) - limit} more (--json lists all)")
    if record.key:
        lines.append(f"  key: {record.key}")
    facts = {k: v for k, v in record.details.items() if isinstance(v, (str, int, float, bool)) or v is None}
    if facts:
        lines.append("  " + ", ".join(f"{k}={v}" for k, v in sorted(facts.items())))
    return "\n".join(lines)


def _repair(args: argparse.Namespace) -> int:
    image = workspace.resolve(args.disk, must_exist=True)
    result = repair_from_backup_superblock(image) if args.what == "superblock" else rebuild_gpt_from_backup(image)
    if args.json:
        print(json.dumps({"ok": result.ok, "command": result.command, "detail": result.detail}, indent=2))
    else:
        print(f"{'repaired' if result.ok else 'NOT repaired'}: {result.detail}\n  ({result.command})")
    return 0 if result.ok else 1
