"""The faults struck on a detached disk: what every disk a fault strikes does for them.

A raw fault writes under the filesystem (``faults.raw``), so the disk's root is
unmounted first. A cell's machine (``experiment.machine.Machine``) and a disk
image at rest (``faults.registry.DiskAtRest``) differ only in how they mount.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

from .bitrot import inject_bitrot
from .read_errors import inject_read_errors
from .records import FaultRecord
from .sectors import bad_sectors
from .superblock import damage_superblock


class Detachable(Protocol):
    """A disk image whose root can be unmounted before a raw write."""

    image: Path

    def unmount(self) -> None: ...


class DetachedStrikes:
    """The raw faults of ``kinds.StruckDisk``, each on the image once its root is unmounted."""

    def bitrot(self: Detachable, *, seed: int, count: int, mode: str, folders: tuple[str, ...],
               at: datetime | None) -> FaultRecord:
        """Silent rot under the filesystem, in the data of the user's files."""
        self.unmount()
        return inject_bitrot(self.image, seed=seed, count=count, mode=mode, folders=folders, at=at)

    def bad_sectors(self: Detachable, *, seed: int, count: int, where: str, folders: tuple[str, ...],
                    at: datetime | None) -> FaultRecord:
        """A run of sectors turned to garbage under the filesystem (in a file's data for ``where='files'``)."""
        self.unmount()
        return bad_sectors(self.image, seed=seed, sectors=count, where=where, folders=folders, at=at)

    def superblock(self: Detachable, *, seed: int, at: datetime | None) -> FaultRecord:
        """The root filesystem's primary superblock damaged."""
        self.unmount()
        return damage_superblock(self.image, seed=seed, at=at)

    def read_errors(self: Detachable, *, seed: int, files: int, directories: int, inodes: int,
                    folders: tuple[str, ...], at: datetime | None) -> FaultRecord:
        """Sectors that fail to read from now on, under some of the user's files, folders and inodes."""
        self.unmount()
        return inject_read_errors(self.image, seed=seed, files=files, directories=directories, inodes=inodes,
                                  folders=folders, at=at)
