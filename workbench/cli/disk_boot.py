"""``workbench disk boot``: boot a disk under QEMU and say whether its system starts."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from .. import workspace
from ..disk import boot
from ..progress import quiet_by_default

DETAILS = (
    "The boot runs on a throw-away overlay, so the disk never changes. The result is booted, no-boot-loader, "
    "kernel-panic, emergency-mode or timeout, with the seconds it took and the console's last lines; the exit "
    "code is 0 only for booted, 1 otherwise. Emulated (TCG) by default: a boot takes about a minute. "
    "--accel kvm only where KVM runs stock kernels."
)
EXAMPLES = (
    "  workbench disk create pc.img --size 1536M\n"
    "  workbench dataset build debian --disk pc.img\n"
    "  workbench disk boot pc.img\n"
    "  workbench disk boot pc.img --json --console-log logs/pc-boot.log\n"
)


def add_verb(verbs: argparse._SubParsersAction, make_verb: Callable[..., argparse.ArgumentParser]) -> None:
    p = make_verb(verbs, "boot", "boot the disk under QEMU (UEFI) and say whether its system starts", DETAILS,
                  EXAMPLES)
    p.add_argument("path", metavar="PATH", help="a disk image, relative to the workspace (e.g. pc.img)")
    p.add_argument("--timeout", type=float, default=boot.DEFAULT_TIMEOUT_S,
                   help=f"seconds before the verdict is 'timeout' (default: {boot.DEFAULT_TIMEOUT_S:g})")
    p.add_argument("--accel", choices=boot.ACCELS, default="tcg", help="default: tcg (emulation)")
    p.add_argument("--console-log", help="keep the whole console output in this file (in the workspace)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_boot)


def _boot(args: argparse.Namespace) -> int:
    image = workspace.resolve(args.path, must_exist=True)
    log = workspace.new_file(args.console_log, overwrite=True) if args.console_log else None
    shown = not quiet_by_default()

    line = f"booting {args.path}: {{seconds:4.0f}} s, {{stage}}"

    def progress(seconds: float, stage: str) -> None:
        print("\r" + line.format(seconds=seconds, stage=stage).ljust(60), end="", file=sys.stderr, flush=True)

    try:
        result = boot.boot(image, timeout_s=args.timeout, accel=args.accel, console_log=log,
                           progress=progress if shown else None)
    finally:
        if shown:
            print("\r".ljust(61) + "\r", end="", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(f"{result.verdict} after {result.seconds:.0f} s ({result.stage} reached, {result.accel})")
        for line in result.last_lines:
            print(f"  | {line}")
    return 0 if result.booted else 1
