"""``workbench disk``: create, import, check, mount, list and remove loopback disks."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import textwrap

from .. import workspace
from ..disk import create, health, layout
from ..disk.loop import loops_of
from ..disk.mounting import mounted
from ..disk.table import read_table
from ..errors import UsageError
from ..units import format_bytes, parse_size
from . import disk_boot

HELP = """\
A disk is a raw, sparse image file in the workspace, with a GPT. Two layouts:
  system  GPT + EFI System Partition (FAT32, boot-loader stand-in) + ext4 root,
          with a recognisable boot-code stand-in in sector 0: a small PC.
  data    GPT + one ext4 partition: an external or backup drive.

examples:
  workbench disk create pc.img --layout system --size 256M
  workbench disk import ~/vm/debian.raw          # bring your own disk (copied, sparse)
  workbench disk check pc.img --json             # exit 0 only when all is green
  workbench disk mount pc.img                    # prints the mount point; Ctrl-C releases it
  workbench disk mount pc.img -- du -sh .        # run a command inside the root filesystem
  workbench disk list
  workbench disk boot pc.img                     # boot it under QEMU: does the system start?
  workbench disk rm pc.img
"""


def _verb(verbs: argparse._SubParsersAction, name: str, help: str, details: str, examples: str
          ) -> argparse.ArgumentParser:
    """A verb whose --help says what it does, then shows how to call it."""
    description = textwrap.fill(f"{help[0].upper()}{help[1:]}. {details}", width=78)
    return verbs.add_parser(name, help=help, description=description,
                            epilog="examples:\n" + examples, formatter_class=argparse.RawDescriptionHelpFormatter)


def _add_image(parser: argparse.ArgumentParser, help: str = "a disk image, relative to the workspace (e.g. pc.img)"
               ) -> None:
    parser.add_argument("path", metavar="PATH", help=help)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("disk", help="create, check, mount and remove loopback disks",
                            description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    p = _verb(verbs, "create", "create a new disk image from a layout",
              "The image is sparse: it uses little space until written. An existing file is kept unless --force.",
              "  workbench disk create pc.img --layout system --size 256M\n"
              "  workbench disk create backup.img --layout data --size 2G\n"
              "  workbench disk create pc.img --force              # replace an existing image\n")
    _add_image(p, "the new image, relative to the workspace (e.g. pc.img)")
    p.add_argument("--layout", choices=sorted(layout.LAYOUTS), default="system", help="default: system")
    p.add_argument("--size", default="256M", help="disk size, e.g. 96M, 2G (default: 256M)")
    p.add_argument("--force", action="store_true", help="overwrite an existing image")
    p.set_defaults(func=_create)

    p = _verb(verbs, "import", "copy an existing raw disk image into the workspace (sparse)",
              "The source is only read, never written; it must be a raw image file (not a device, not qcow2).",
              "  workbench disk import ~/vm/debian.raw             # becomes debian.raw in the workspace\n"
              "  workbench disk import ~/vm/debian.raw vm.img --force\n")
    p.add_argument("source", metavar="SOURCE", help="a raw disk image file anywhere; it is only read, never written")
    p.add_argument("path", metavar="PATH", nargs="?",
                   help="name in the workspace (default: the source's file name)")
    p.add_argument("--force", action="store_true", help="overwrite an existing image")
    p.set_defaults(func=_import)

    p = _verb(verbs, "check", "health check: partition table, boot code, ESP, fsck",
              "Read-only. The exit code is 0 when everything is sound, 1 when something is damaged.",
              "  workbench disk check pc.img\n"
              "  workbench disk check pc.img --json                # the structured result\n")
    _add_image(p)
    p.add_argument("--json", action="store_true", help="print the structured result")
    p.set_defaults(func=_check)

    p = _verb(verbs, "mount", "mount the root filesystem until Ctrl-C, or run a command in it",
              "It mounts the root (or, on a data disk, the data) partition. With '-- CMD ...' the command runs "
              "with the mount point as its working directory and in $WORKBENCH_MOUNT; the exit code "
              "is the command's, and the disk is released afterwards.",
              "  workbench disk mount pc.img                       # prints the mount point\n"
              "  workbench disk mount pc.img --readonly -- du -sh .\n"
              "  workbench disk mount backup.img --partition data -- ls\n")
    _add_image(p)
    p.add_argument("--partition", default=None, help="partition role: root or data (default: root if present)")
    p.add_argument("--readonly", action="store_true", help="mount read-only")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    p.set_defaults(func=_mount)

    p = _verb(verbs, "list", "list the disk images in the workspace",
              "Each with its size, the space it really uses, and the loop devices attached to it.",
              "  workbench disk list\n"
              "  workbench disk list --json\n")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(func=_list)

    p = _verb(verbs, "rm", "delete a disk image (refused while attached)",
              "Release a disk still attached by a killed run with 'workbench cleanup' first.",
              "  workbench disk rm pc.img\n")
    _add_image(p)
    p.set_defaults(func=_rm)

    disk_boot.add_verb(verbs, _verb)


def _create(args: argparse.Namespace) -> int:
    path = create.create_disk(args.path, args.layout, parse_size(args.size), overwrite=args.force)
    print(f"created {workspace.display(path)}: {args.layout} disk, {format_bytes(parse_size(args.size))}")
    return 0


def _import(args: argparse.Namespace) -> int:
    path, table = create.import_disk(args.source, args.path, overwrite=args.force)
    roles = ", ".join(f"{p.number}:{p.role}" for p in table.partitions) or "no partition table found"
    print(f"imported {args.source} as {workspace.display(path)} ({roles})")
    return 0


def _check(args: argparse.Namespace) -> int:
    result = health.check(args.path)
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


def _role(path: str, given: str | None) -> str:
    if given:
        return given
    table = read_table(workspace.resolve(path, must_exist=True))
    return "root" if any(p.role == "root" for p in table.partitions) else "data"


def _mount(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    image = workspace.resolve(args.path, must_exist=True)
    from .. import proc

    with mounted(image, _role(args.path, args.partition), readonly=args.readonly) as point:
        if command:
            return proc.run_attached(command, cwd=point, env={"WORKBENCH_MOUNT": str(point)})
        print(point, flush=True)
        print("mounted; press Ctrl-C to unmount and release the disk", file=sys.stderr, flush=True)
        while True:
            signal.pause()


#: What ``disk list`` shows: the workbench's own images and imported raw disks.
IMAGE_SUFFIXES = (".img", ".raw")


def _images() -> list[dict]:
    root = workspace.home()
    rows = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in IMAGE_SUFFIXES or path.is_relative_to(workspace.mount_dir()) or not path.is_file():
            continue
        st = path.stat()
        rows.append({"path": workspace.display(path), "size_bytes": st.st_size,
                     "allocated_bytes": st.st_blocks * 512, "attached": loops_of(path)})
    return rows


def _list(args: argparse.Namespace) -> int:
    rows = _images()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"no disk images in {workspace.home()}: create one with 'workbench disk create pc.img'")
    for row in rows:
        attached = f"  attached: {', '.join(row['attached'])}" if row["attached"] else ""
        print(f"{row['path']:40} {format_bytes(row['size_bytes']):>10} "
              f"({format_bytes(row['allocated_bytes'])} used){attached}")
    return 0


def _rm(args: argparse.Namespace) -> int:
    path = workspace.resolve(args.path, must_exist=True)
    if not path.is_file():
        raise UsageError(f"'{args.path}' is not a disk image file")
    busy = loops_of(path)
    if busy:
        raise UsageError(f"'{args.path}' is attached as {', '.join(busy)}: release it first ('workbench cleanup')")
    path.unlink()
    print(f"removed {workspace.display(path)}")
    return 0
