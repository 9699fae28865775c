"""``workbench`` entry point.

Each command lives in its own ``*_cmd.py`` module exposing ``register(subparsers)``;
``register`` adds a parser whose ``func(args) -> int`` does the work. Errors of the
``WorkbenchError`` family become one line on stderr and their exit code:
0 all good, 1 damage found, 2 bad input or usage, 3 the operation failed.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import Interrupted, WorkbenchError

#: Command modules, in the order ``--help`` lists them.
COMMANDS = [
    "disk_cmd",
    "cleanup_cmd",
    "image_cmd",
    "clone_cmd",
    "backup_cmd",
    "mirror_cmd",
    "fault_cmd",
    "dataset_cmd",
    "manifest_cmd",
    "compare_cmd",
    "report_cmd",
]

EPILOG = """\
exit codes: 0 all good, 1 damage found or a check failed, 2 bad input or usage,
3 the operation itself failed.

The workspace (every disk image and target the workbench makes) is
$WORKBENCH_HOME, or ~/.local/share/workbench. Relative paths are resolved inside it.

examples:
  workbench disk create laptop.img --layout system --size 256M
  workbench disk check laptop.img
  workbench disk mount laptop.img -- ls -la
  workbench cleanup
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Measure disk imaging, backup, cloning and mirroring on real loopback disks.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log commands (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"{__package__}.{name}").register(sub)
    return parser


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(f"stopped by signal {signal.Signals(signum).name}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="workbench: %(message)s",
    )
    signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as exc:
        print(f"workbench: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (KeyboardInterrupt, Interrupted) as exc:
        print(f"workbench: interrupted ({exc or 'Ctrl-C'}); everything attached was released", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
