"""``workbench cleanup``: release loop devices and mounts a killed run left behind."""

from __future__ import annotations

from ..disk.cleanup import release_leftovers


def cleanup() -> list[str]:
    """Release the workspace's mounts, loop devices and served disks that no live owner claims (and nothing
    else); one line per thing released."""
    return release_leftovers()
