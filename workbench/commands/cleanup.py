"""``workbench cleanup``: release loop devices and mounts a killed run left behind."""

from __future__ import annotations

from ..disk.cleanup import release_leftovers


def cleanup() -> list[str]:
    """Release every mount and loop device of the workspace (and nothing else); one line per thing released."""
    return release_leftovers()
