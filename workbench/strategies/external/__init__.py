"""The tools people actually run, as engines of the matrix beside the workbench's own.

Each tool is one module that runs it through ``proc`` (``restic``, ``borg``,
``rsnapshot``, ...) and one small pure module that reads its machine-readable
output (``restic_json``, ``borg_json``, ``rsync_output``, ...), tested on captured
samples without root; partclone, a disk tool, runs through ``disk.partclone``.
``base`` holds what they share: the tool and version checks, the workspace's
key folder, the footprint, the factory every module offers (``make``). A
catalog row names each (``backup/restic``, ``backup/borg:repokey``).
"""

from __future__ import annotations

import importlib
from types import ModuleType


def engine_module(engine: str) -> ModuleType:
    """The module of an external engine, by the name its catalog row gives ('restic' -> ``external.restic``).

    Each offers ``make(variant, *, folders, state)`` (the engine) and ``TOOLS`` (the tools it
    runs, whose versions the run record keeps).
    """
    return importlib.import_module(f"{__name__}.{engine}")
