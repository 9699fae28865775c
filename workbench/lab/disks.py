"""The workspace, disks and faults of a notebook: make a disk, fill it, mount it, strike it.

Every call takes and returns plain paths in the workspace; a disk is never left
mounted outside a ``with lab.mounted(disk)`` block, so the block-level engines and
the raw faults always find it at rest.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import workspace
from ..disk import health as disk_health
from ..disk.create import create_disk
from ..disk.health import Health
from ..disk.mounting import mounted
from ..errors import UsageError
from ..faults.records import FaultRecord
from ..faults.registry import inject
from ..units import parse_size
from ..workload.generate import BuildRecord
from ..workload.generate import build as generate
from ..workload.profile import load_profile
from .copies import Copy


def use_workspace(directory: str | Path, *, fresh: str) -> Path:
    """Make ``directory`` the workspace ($WORKBENCH_HOME) of this process, and return its
    subfolder ``fresh``, emptied: a notebook's own place, where a rerun starts clean.

    Everything the workbench makes (disks, targets, mount points) stays inside the
    workspace, so a notebook with its own never touches another's disks.
    """
    name = Path(fresh)
    if not fresh or name.is_absolute() or len(name.parts) != 1 or fresh.startswith("."):
        raise UsageError(f"'{fresh}' is not a plain folder name for the notebook's own folder")
    os.environ[workspace.ENV_VAR] = str(Path(directory).expanduser().absolute())
    folder = workspace.home() / fresh
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def make_disk(path: str | Path, size: str | int = "128M", *, layout: str = "system",
              overwrite: bool = False) -> Path:  # fmt: skip
    """A new sparse disk image in the workspace: a PC's disk ('system': GPT, EFI System
    Partition and ext4 root) or an external drive ('data': one ext4 partition)."""
    return create_disk(path, layout, parse_size(size), overwrite=overwrite)


def health(disk: Path) -> Health:
    """Is it still a working system disk? Partition table, boot code, ESP and fsck, as data."""
    return disk_health.check(disk)


def build(disk: Path, profile: str = "classroom", *, data_size: str | int | None = None,
          seed: int = 1) -> BuildRecord:  # fmt: skip
    """Fill the empty root filesystem of ``disk`` with a workload profile's files
    (a name from ``datasets/profiles`` or a YAML path); ``data_size`` defaults to the profile's."""
    size = None if data_size is None else parse_size(data_size)
    with mounted(disk) as root:
        return generate(load_profile(profile), root, data_size=size, seed=seed)


def strike(kind: str, where: Path | Copy, *, seed: int = 0, at: datetime | None = None,
           **options: Any) -> FaultRecord:  # fmt: skip
    """Inject one fault of ``kind`` ('deletion', 'ransomware', 'bitrot', 'partition-wipe', ...)
    into a disk image, or into a copy's target ('target-corruption'); return its record.

    The record says exactly what was damaged (files, byte ranges, bits). ``options`` are the
    kind's own, as ``workbench fault inject`` takes them: ``count``, ``fraction``,
    ``whole_folder``, ``folders``, ``which``, ``mode``... ``at``: the (simulated) time it strikes.
    """
    if isinstance(where, Copy):
        return inject(kind, target=where.target, seed=seed, at=at, **options)
    return inject(kind, disk=where, seed=seed, at=at, **options)
