"""``workbench fault``: inject real damage into a disk or a target, and see what the disk can heal itself."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

from ..commands import fault
from ..faults import FaultRecord, kinds
from ..units import format_bytes
from .helptext import examples_of, verb_parser


def _kinds_help() -> str:
    width = max(len(k.name) for k in kinds.KINDS) + 2
    lines = []
    for k in kinds.KINDS:
        options = " ".join(f"[{o.flag}]" for o in k.accepts("cli"))
        lines.append(f"  {k.name:<{width}}{k.summary}" + (f"\n  {'':<{width}}{options}" if options else ""))
    return "\n".join(lines)


HELP = f"""\
Each fault is done the way it happens for real, is repeatable for a seed, and
prints a record of exactly what it touched (bytes, bits, files, key).

kinds:
{_kinds_help()}

Raw-byte faults need the disk detached (not mounted); file-level ones mount it
themselves. Paths are inside the workspace. Scenario files name the same kinds
and options (--whole-folder is whole_folder there).

examples:
  workbench fault inject bitrot --disk pc.img --seed 1 --count 16 --mode clustered
  workbench fault inject deletion --disk pc.img --folder home/alice --count 3 --json
  workbench fault inject deletion --disk pc.img --whole-folder
  workbench fault inject ransomware --disk pc.img --fraction 0.3 --seed 7 --json > attack.json
  workbench fault inject partition-wipe --disk pc.img --which primary
  workbench fault inject target-corruption --target backups/repo --count 4
  workbench fault inject crash-during-protect --when-path backups/repo --min-bytes 1M \\
      --run 'workbench backup protect --disk pc.img --target backups/repo'
  workbench fault repair superblock --disk pc.img     # e2fsck with a backup superblock
  workbench fault repair gpt --disk pc.img            # rebuild the GPT from its other copy
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("fault", help="inject real damage (bit rot, ransomware, wipes...) and self-repair",
                            description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    p = verb_parser(verbs, "inject", "inject one fault and print its record",
                    examples_of(HELP, "workbench fault inject"),
                    details="The kinds and their options are listed in 'workbench fault --help'; an option "
                            "the kind does not take is refused.")
    p.add_argument("kind", choices=kinds.names(), metavar="KIND", help=", ".join(kinds.names()))
    p.add_argument("--disk", help="the disk image to damage (relative to the workspace)")
    p.add_argument("--target", help="target-corruption: a repository folder, an image or a clone")
    p.add_argument("--seed", type=int, default=0, help="the same seed on the same disk does the same damage")
    p.add_argument("--folder", action="append", dest="folders",
                   help="folder on the disk to choose from (repeatable; default: home)")
    _add_kind_options(p)
    p.add_argument("--json", action="store_true", help="print the record as JSON")
    p.set_defaults(func=_inject)

    p = verb_parser(verbs, "repair", "what the disk can do for itself: a backup superblock, the GPT's other copy",
                    examples_of(HELP, "workbench fault repair"),
                    details="The exit code is 0 when the repair worked, 1 when it did not.")
    p.add_argument("what", choices=fault.REPAIRS)
    p.add_argument("--disk", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_repair)


def _add_kind_options(parser: argparse.ArgumentParser) -> None:
    """One flag per option name of the table's kinds (``--count`` serves several); unset means the kind's default."""
    users: dict[str, list[tuple[str, kinds.Option]]] = defaultdict(list)
    for k in kinds.KINDS:
        for option in k.accepts("cli"):
            users[option.name].append((k.name, option))
    for name, uses in users.items():
        first = uses[0][1]
        said: dict[str, list[str]] = defaultdict(list)  # the same words for several kinds are said once
        for kind, option in uses:
            default = "" if option.default is None or option.default == () or option.default is False \
                else f" (default {option.default})"
            said[option.help + default].append(kind)
        help = "; ".join(f"{', '.join(names)}: {words}" for words, names in said.items())
        if isinstance(first.default, bool):
            parser.add_argument(first.flag, dest=name, action="store_true", default=None, help=help)
        elif first.choices:
            parser.add_argument(first.flag, dest=name, choices=first.choices, default=None, help=help)
        else:
            parser.add_argument(first.flag, dest=name, metavar=name.upper(), default=None, help=help)

def _inject(args: argparse.Namespace) -> int:
    options = {o.name: getattr(args, o.name) for k in kinds.KINDS for o in k.accepts("cli")}
    record = fault.fault_inject(args.kind, disk=args.disk, target=args.target, seed=args.seed,
                                folders=args.folders or ["home"], **options)
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
    result = fault.fault_repair(args.what, disk=args.disk)
    if args.json:
        print(json.dumps({"ok": result.ok, "command": result.command, "detail": result.detail}, indent=2))
    else:
        print(f"{'repaired' if result.ok else 'NOT repaired'}: {result.detail}\n  ({result.command})")
    return 0 if result.ok else 1
