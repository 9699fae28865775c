"""What produced a run's results: the versions of the software and the machine it ran on.

The run record keeps them (``run.json``), so a results folder says what made it.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__, proc
from ..strategies.external import engine_module
from .registry import engine_names

#: Python libraries whose versions the run record keeps.
LIBRARIES = ("zstandard", "blake3", "pandas", "matplotlib")
#: The system tools whose versions the run record keeps: the name it is recorded under -> the tool asked.
TOOLS = {"sfdisk": "sfdisk", "mkfs.ext4": "mke2fs", "mkfs.fat": "mkfs.fat", "mtools": "mcopy", "btrfs": "btrfs",
         "zstd": "zstd"}


def versions(strategies: Sequence[str] = ()) -> dict[str, str]:
    """Versions of Python, the package, its key libraries and the system tools used, with the tools
    the external engines among ``strategies`` run (``restic``, ``borg``...: each module's ``TOOLS``)."""
    found = {"python": platform.python_version(), "workbench": __version__}
    for module in LIBRARIES:
        try:
            found[module] = __import__(module).__version__
        except (ImportError, AttributeError):
            continue
    tools = {**TOOLS, **{tool: tool for engine in engine_names(strategies) for tool in engine_module(engine).TOOLS}}
    for name, tool in tools.items():
        line = proc.version(tool)
        if line is not None:
            found[name] = line
    return found


def machine_facts() -> dict[str, Any]:
    """The kernel, architecture, processors and memory of this machine."""
    facts: dict[str, Any] = {"kernel": platform.release(), "arch": platform.machine(), "cpus": os.cpu_count()}
    try:
        mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
        facts["memory_bytes"] = int(mem[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return facts
