"""Reading an ext4 filesystem straight from its image file, with e2fsprogs: no loop device, no mount.

e2fsprogs accept an offset inside the file name (``"IMG?offset=N"``), so a
partition of a disk image is read where it lies; a lone filesystem image
(offset 0) is named as it is.
"""

from __future__ import annotations

from pathlib import Path

from .. import proc
from .table import Partition


def filesystem_uuid(image: Path, part: Partition) -> str | None:
    """The UUID in the partition's superblock (``dumpe2fs -h``), or None when it cannot be read."""
    done = proc.run(["dumpe2fs", "-h", f"{image}?offset={part.start_bytes}"], check=False)
    uuid = None
    for line in done.stdout.decode(errors="replace").splitlines():
        if line.startswith("Filesystem UUID:"):
            uuid = line.split(":", 1)[1].strip()
    return uuid


def rdump(filesystem: Path, path_in_fs: str, dest_dir: Path) -> str:
    """Copy a file or folder out of a filesystem image into ``dest_dir`` (``debugfs rdump``); return its messages.

    debugfs exits 0 even when the path is not there, so the caller looks for
    the copy and reads the messages for why it is missing. Paths holding a
    double quote cannot be passed.
    """
    done = proc.run(["debugfs", "-R", f'rdump "{path_in_fs}" "{dest_dir}"', filesystem],
                    what=f"copying {path_in_fs} out of the image")
    return done.stderr.decode(errors="replace")
