"""``workbench cleanup``: release loop devices and mounts a killed run left behind."""

from __future__ import annotations

import argparse

from .. import workspace
from ..commands.cleanup import cleanup

HELP = """\
Find every mount, loop device and served disk that belongs to the workspace (mount point
inside it, or a loop device backed by one of its images) and that no live process claims,
and release it. A process that holds disks records them under its own id (pid and start
time, in the workspace's .owners/), so a comparison still running keeps its disks: only
what dead runs left is released. Nothing outside the workspace is touched.

examples:
  workbench cleanup                              # after a killed run: release its mounts (live runs keep theirs)
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
