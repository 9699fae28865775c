"""The protected machine of one experiment cell: its system disk and the mount choreography.

The source is mounted while the workload changes it and while file-level
strategies read it (a continuous mirror watches it all that time). It is
unmounted, with caches dropped, for imaging, cloning and raw-byte faults,
so block-level engines see a consistent filesystem and the filesystem sees
the raw damage. Listeners hear of every mount and unmount (a continuous
mirror starts and stops its watcher there).

A disk with bad sectors (the read-errors fault) is served while it is in use
(``disk.served``): every mount, engine and manifest reads it through the
served file and meets EIO on its bad sectors. Serving stops on unmount, so a
raw fault finds the image detached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from .. import workspace
from ..disk import esp, ext4, health, sector_list, served, usage
from ..disk.mounting import mounted
from ..disk.table import read_table
from ..errors import WorkbenchError
from ..faults.detached import DetachedStrikes
from ..truth.manifest import Manifest, take_manifest

Listener = Callable[[Path | None], None]  # called with the mount point, or None on unmount


class Machine(DetachedStrikes):
    def __init__(self, image: Path) -> None:
        self.image = image
        #: Always the same place, as on a real machine (a two-way sync keys its state by the path), and a
        #: place of its own: cells running side by side have images in different folders.
        folder = hashlib.blake2b(str(image.parent).encode(), digest_size=4).hexdigest()
        self.mount_point = workspace.mount_dir() / f"{image.parent.name}-{image.stem}-{folder}"
        self.root: Path | None = None
        self._stack: ExitStack | None = None
        self._serving: ExitStack | None = None
        self._disk: Path | None = None
        self.listeners: list[Listener] = []

    @property
    def exists(self) -> bool:
        return self.image.exists()

    def mount(self) -> Path:
        """Mount the root filesystem read-write (no-op if mounted)."""
        if self.root is None:
            stack = ExitStack()
            self.root = stack.enter_context(mounted(self._opened(), at=self.mount_point))
            self._stack = stack
            for listener in self.listeners:
                listener(self.root)
        return self.root

    def disk(self) -> Path:
        """Unmount, and return the disk as a block-level engine reads it: the image, or its served file."""
        self._unmount_root()
        return self._opened()

    def _opened(self) -> Path:
        """The path to read the disk through, serving it (until the next unmount) when it has bad sectors."""
        if self._disk is None:
            stack = ExitStack()
            self._disk = stack.enter_context(served.opened(self.image))
            self._serving = stack
        return self._disk

    def unmount(self) -> None:
        """Unmount (no-op if not mounted): the loop device goes, and its cache with it.

        What the filesystem wrote is in the image file's pages then, which raw
        readers and writers share; raw faults drop those pages after writing.
        """
        self._unmount_root()
        serving, self._serving, self._disk = self._serving, None, None
        if serving is not None:
            serving.close()

    def _unmount_root(self) -> None:
        if self.root is None:
            return
        for listener in self.listeners:
            listener(None)
        stack, self._stack, self.root = self._stack, None, None
        if stack is not None:
            stack.close()

    def close(self) -> None:
        self.unmount()

    def replace_with(self, new_image: Path) -> None:
        """Swap in another disk (a restored one, or the clone) under the machine's name: a new disk, whose
        sectors all read (the old one's bad-sector list goes with it)."""
        self.unmount()
        if new_image != self.image:
            new_image.replace(self.image)
            sector_list.list_path(self.image).unlink(missing_ok=True)

    def usable(self) -> bool:
        """What the user sees: the disk is there, it has its partitions, boot code and boot loader, and the
        root mounts."""
        return disk_is_usable(self.image)

    def facts(self) -> dict | None:
        """What the health columns compare (None when the disk is gone)."""
        return disk_facts(self.image)

    def stored_bytes(self) -> int:
        """What the disk holds as its filesystems count it, plus its partition table (read unmounted)."""
        self.unmount()
        return usage.disk_used_bytes(self.image)

    def manifest(self) -> Manifest | None:
        """The whole root tree as it is now, as it reads (a bad sector's file is unreadable), or None when the
        root cannot be mounted."""
        if self.root is not None:
            return take_manifest(self.root)
        try:
            with served.opened(self.image) as disk, mounted(disk, readonly=True) as root:
                return take_manifest(root)
        except WorkbenchError:
            return None


def disk_facts(image: Path) -> dict | None:
    """What the health columns compare: partition entries, boot code, ESP files, root fs UUID, fsck.

    None when the disk is gone. Reads the image only (no loop device).
    """
    if not image.exists():
        return None
    table = read_table(image)
    with open(image, "rb") as handle:
        boot_code = hashlib.sha256(handle.read(440)).hexdigest()
    facts: dict = {"partition_entries": table.entries(), "boot_code": boot_code, "esp_files": None,
                   "fs_uuid": None, "fsck_clean": False}
    roles = {p.role for p in table.partitions}
    if "esp" in roles:
        try:
            files = esp.read_files(image, table.by_role("esp"))
            facts["esp_files"] = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
        except WorkbenchError:
            pass
    if "root" in roles:
        part = table.by_role("root")
        facts["fs_uuid"] = ext4.filesystem_uuid(image, part)
        facts["fsck_clean"] = health.fsck(image, part)[0]
    return facts


def disk_is_usable(image: Path) -> bool:
    """What the user sees: the disk is there, it has its partitions, and the root mounts; and it starts,
    as far as its bytes say: the boot code, and on a UEFI disk the ESP with a boot loader that is one."""
    if not image.exists():
        return False
    result = health.check(image)
    return (result.partition_table_ok and result.boot_code_ok and result.esp_ok is not False
            and result.root_fsck_clean is True)
