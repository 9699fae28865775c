"""``workbench cleanup``: release loop devices and mounts a killed run left behind."""

from __future__ import annotations

import argparse

from .. import workspace
from ..commands.cleanup import cleanup

HELP = """\
Find every mount and loop device that belongs to the workspace (mount point inside it,
or a loop device backed by one of its images) and release it. Nothing else is touched:
other loop devices and mounts on the machine are left alone.

examples:
  workbench cleanup                              # after a killed run: release its mounts
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("cleanup", help="release loop devices and mounts left by a killed run",
                            description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    released = cleanup()
    for line in released:
        print(line)
    if not released:
        print(f"nothing to release in {workspace.home()}")
    return 0
