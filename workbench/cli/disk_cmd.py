"""``workbench disk``: create, import, check, mount, list and remove loopback disks."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from dataclasses import asdict

from .. import workspace
from ..commands import disk
from ..disk import layout
from ..progress import quiet_by_default
from ..units import format_bytes
from .helptext import examples_of, verb_parser

HELP = """\
A disk is a raw, sparse image file in the workspace, with a GPT. Two layouts:
  system  GPT + EFI System Partition (FAT32, boot-loader stand-in) + ext4 root,
          with a recognisable boot-code stand-in in sector 0: a small PC.
  data    GPT + one ext4 partition: an external or backup drive.

examples:
  workbench disk create pc.img --layout system --size 256M
  workbench disk create backup.img --layout data --size 2G
  workbench disk create pc.img --force              # replace an existing image
  workbench disk import ~/vm/debian.raw             # bring your own disk (copied, sparse)
  workbench disk import ~/vm/debian.raw vm.img --force
  workbench disk check pc.img
  workbench disk check pc.img --json                # exit 0 only when all is green
  workbench disk mount pc.img                       # prints the mount point; Ctrl-C releases it
  workbench disk mount pc.img -- du -sh .           # run a command inside the root filesystem
  workbench disk mount pc.img --readonly -- du -sh .
  workbench disk mount backup.img --partition data -- ls
  workbench disk list
  workbench disk list --json
  workbench disk boot pc.img                        # boot it under QEMU: does the system start?
  workbench disk boot pc.img --json --console-log logs/pc-boot.log
  workbench disk rm pc.img
"""


def _verb(verbs: argparse._SubParsersAction, name: str, help: str, details: str) -> argparse.ArgumentParser:
    """A verb whose --help says what it does, then shows how to call it."""
    return verb_parser(verbs, name, help, examples_of(HELP, f"workbench disk {name}"), details=details)


def _add_image(parser: argparse.ArgumentParser, help: str = "a disk image, relative to the workspace (e.g. pc.img)"
               ) -> None:
    parser.add_argument("path", metavar="PATH", help=help)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("disk", help="create, check, mount and remove loopback disks",
                            description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    p = _verb(verbs, "create", "create a new disk image from a layout",
              "The image is sparse: it uses little space until written. An existing file is kept unless --force.")
    _add_image(p, "the new image, relative to the workspace (e.g. pc.img)")
    p.add_argument("--layout", choices=sorted(layout.LAYOUTS), default="system", help="default: system")
    p.add_argument("--size", default="256M", help="disk size, e.g. 96M, 2G (default: 256M)")
    p.add_argument("--force", action="store_true", help="overwrite an existing image")
    p.set_defaults(func=_create)

    p = _verb(verbs, "import", "copy an existing raw disk image into the workspace (sparse)",
              "The source is only read, never written; it must be a raw image file (not a device, not qcow2).")
    p.add_argument("source", metavar="SOURCE", help="a raw disk image file anywhere; it is only read, never written")
    p.add_argument("path", metavar="PATH", nargs="?",
                   help="name in the workspace (default: the source's file name)")
    p.add_argument("--force", action="store_true", help="overwrite an existing image")
    p.set_defaults(func=_import)

    p = _verb(verbs, "check", "health check: partition table, boot code, ESP, fsck",
              "Read-only. The exit code is 0 when everything is sound, 1 when something is damaged.")
    _add_image(p)
    p.add_argument("--json", action="store_true", help="print the structured result")
    p.set_defaults(func=_check)

    p = _verb(verbs, "mount", "mount the root filesystem until Ctrl-C, or run a command in it",
              "It mounts the root (or, on a data disk, the data) partition. With '-- CMD ...' the command runs "
              "with the mount point as its working directory and in $WORKBENCH_MOUNT; the exit code "
              "is the command's, and the disk is released afterwards.")
    _add_image(p)
    p.add_argument("--partition", default=None, help="partition role: root or data (default: root if present)")
    p.add_argument("--readonly", action="store_true", help="mount read-only")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    p.set_defaults(func=_mount)

    p = _verb(verbs, "list", "list the disk images in the workspace",
              "Each with its size, the space it really uses, and the loop devices attached to it.")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(func=_list)

    p = _verb(verbs, "boot", "boot the disk under QEMU (UEFI) and say whether its system starts",
              "The boot runs on a throw-away overlay, so the disk never changes. The result is booted, "
              "no-boot-loader, kernel-panic, emergency-mode or timeout, with the seconds it took and the console's "
              "last lines; the exit code is 0 only for booted, 1 otherwise. Emulated (TCG) by default: a boot takes "
              "about a minute. --accel kvm only where KVM runs stock kernels.")
    _add_image(p)
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds before the verdict is 'timeout' (default: 300)")
    p.add_argument("--accel", choices=("tcg", "kvm"), default="tcg", help="default: tcg (emulation)")
    p.add_argument("--console-log", help="keep the whole console output in this file (in the workspace)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_boot)

    p = _verb(verbs, "rm", "delete a disk image (refused while attached)",
              "Release a disk still attached by a killed run with 'workbench cleanup' first.")
    _add_image(p)
    p.set_defaults(func=_rm)


def _create(args: argparse.Namespace) -> int:
    path = disk.disk_create(args.path, layout=args.layout, size=args.size, force=args.force)
    print(f"created {workspace.display(path)}: {args.layout} disk, {format_bytes(path.stat().st_size)}")
    return 0


def _import(args: argparse.Namespace) -> int:
    path, table = disk.disk_import(args.source, args.path, force=args.force)
    roles = ", ".join(f"{p.number}:{p.role}" for p in table.partitions) or "no partition table found"
    print(f"imported {args.source} as {workspace.display(path)} ({roles})")
    return 0


def _check(args: argparse.Namespace) -> int:
    result = disk.disk_check(args.path)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        rows = [("partition table", result.partition_table_ok, "partition_table"),
                ("boot code", result.boot_code_ok, "boot_code"),
                ("ESP", result.esp_ok, "esp"),
                ("root fsck", result.root_fsck_clean, "root_fsck")]
        for label, ok, key in rows:
            mark = "--  " if ok is None else ("ok  " if ok else "FAIL")
            print(f"{mark} {label:16} {result.details.get(key, '')}")
    return 0 if result.ok else 1


def _mount(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if command:
        return disk.disk_run(args.path, command, partition=args.partition, readonly=args.readonly)
    with disk.disk_mount(args.path, partition=args.partition, readonly=args.readonly) as point:
        print(point, flush=True)
        print("mounted; press Ctrl-C to unmount and release the disk", file=sys.stderr, flush=True)
        while True:
            signal.pause()


def _list(args: argparse.Namespace) -> int:
    rows = disk.disk_list()
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
        return 0
    if not rows:
        print(f"no disk images in {workspace.home()}: create one with 'workbench disk create pc.img'")
    for row in rows:
        attached = f"  attached: {', '.join(row.attached)}" if row.attached else ""
        print(f"{row.path:40} {format_bytes(row.size_bytes):>10} "
              f"({format_bytes(row.allocated_bytes)} used){attached}")
    return 0


def _boot(args: argparse.Namespace) -> int:
    shown = not quiet_by_default()

    def progress(seconds: float, stage: str) -> None:
        print(f"\rbooting {args.path}: {seconds:4.0f} s, {stage}".ljust(60), end="", file=sys.stderr, flush=True)

    try:
        result = disk.disk_boot(args.path, timeout_s=args.timeout, accel=args.accel, console_log=args.console_log,
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


def _rm(args: argparse.Namespace) -> int:
    print(f"removed {workspace.display(disk.disk_rm(args.path))}")
    return 0
