"""The sector server: one disk image shown as one file through FUSE, whose bad sectors fail with EIO.

Run as its own process, never as a thread of the workbench::

    python -m workbench.disk.sector_server --image IMG --mount DIR --bad-sectors LIST --state STATE

``DIR/<image name>`` is then the disk: same size, same bytes, but a read that
touches a sector of ``LIST`` (:mod:`workbench.disk.sector_list`) fails with
EIO, so a loop device over it, a mount of that, and every engine above meet a
real I/O error. :mod:`workbench.disk.served` starts and stops it.

Why a FUSE server of our own (mfusepy over Debian's libfuse3) and not nbdkit
+ ``nbdfuse``: nbdkit's ``ddrescue`` filter, the one C filter that fails
chosen ranges, is read-only, and a disk must take writes (a read-write mount,
fsck, btrfs repairing a mirror, a sector cleared by a write). Its Python
plugin takes writes but puts a second hop (NBD over a socket) and two more
processes (nbdkit and nbdfuse) between the loop device and the image, and read
no faster here. One small process is one pid to own and to stop.

- ``direct_io`` on the file: every read and write of the loop device reaches
  this process with its exact offset and length, so a failing sector fails the
  request that touches it and no other; the kernel keeps no second page cache
  of the file (the loop device and the filesystem above cache already).
- A read that touches a bad sector fails whole (EIO), as a drive's read
  command does. A short read is never returned: the loop device would fill
  the rest with zeros and hide the error.
- A write that covers a bad sector whole clears it (a drive remaps a pending
  sector on write), and the shorter list is saved at once, so the sector reads
  good from then on, also the next time the disk is served. A write that
  covers part of a bad sector fails with EIO: the drive would have to read the
  rest of the sector first. The loop device writes whole sectors only.
- It runs in a session of its own (see ``proc.spawn``), so a Ctrl-C at
  the terminal reaches the workbench, which then detaches, unmounts and stops
  it in that order; SIGTERM makes it unmount itself and exit.

The state file (``STATE``) says who serves what, for ``workbench cleanup``
after a killed run; it is written before mounting and removed on exit::

    {"format": "workbench-sector-server", "version": 1, "pid": 1234,
     "image": "/…/pc.img", "mount": "/…/.mnt/served-pc-x1y2/fuse", "bad_sectors": "/…/pc.img.badsectors.json"}

A later owner field (who started the server) fits beside ``pid``.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import stat
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from . import sector_list

STATE_FORMAT = "workbench-sector-server"
STATE_VERSION = 1
#: Shown as the filesystem type ``fuse.<SUBTYPE>`` in /proc/self/mountinfo.
SUBTYPE = "workbench-sectors"

log = logging.getLogger("workbench.sector_server")


def state_record(*, pid: int, image: Path, mount: Path, bad_sectors: Path) -> dict:
    return {"format": STATE_FORMAT, "version": STATE_VERSION, "pid": pid,
            "image": str(image), "mount": str(mount), "bad_sectors": str(bad_sectors)}


class SectorDisk:
    """The disk's reads, writes and bad-sector list, apart from FUSE (so they can be tested without a mount)."""

    def __init__(self, image: Path, bad_list: Path) -> None:
        self.fd = os.open(image, os.O_RDWR | os.O_CLOEXEC)
        self.size = os.fstat(self.fd).st_size
        self.bad_list = bad_list
        self.bad = sector_list.load(bad_list)  # replaced whole, never changed: reads need no lock
        self._clearing = threading.Lock()
        self.failed_reads = 0

    def read(self, size: int, offset: int) -> bytes:
        if self.bad.overlaps(offset, min(size, max(self.size - offset, 0))):
            self.failed_reads += 1
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return os.pread(self.fd, size, offset)

    def write(self, data: bytes, offset: int) -> int:
        bad = self.bad
        if bad.overlaps(offset, len(data)):
            if bad.partly_covers(offset, len(data)):
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            written = os.pwrite(self.fd, data, offset)
            with self._clearing:
                cleared = self.bad.written(offset, written)
                if cleared != self.bad:
                    os.fsync(self.fd)  # the new data is on disk before the list says the sectors are good
                    sector_list.save(self.bad_list, cleared)
                    self.bad = cleared
            return written
        return os.pwrite(self.fd, data, offset)

    def fsync(self, datasync: bool) -> None:
        (os.fdatasync if datasync else os.fsync)(self.fd)


def _operations(disk: SectorDisk, name: str) -> tuple[ModuleType, object]:
    """mfusepy, and the FUSE callbacks: a root folder holding one file, ``name``, opened with direct_io.

    mfusepy is imported here, in the server process only: it loads libfuse when imported. It would
    take libfuse 2 where both are installed; libfuse 3 is the one Debian's fuse3 brings, and the one
    that sends reads of up to 1 MiB (libfuse 2: 128 KiB, a third of the speed through a loop device).
    """
    os.environ["FUSE_LIBRARY_NAME"] = "fuse3"
    import mfusepy as fuse

    class Operations(fuse.Operations):
        use_ns = True

        def getattr(self, path: str, fh: object = None) -> dict:
            if path == "/":
                return {"st_mode": stat.S_IFDIR | 0o700, "st_nlink": 2}
            if path == "/" + name:
                return {"st_mode": stat.S_IFREG | 0o600, "st_nlink": 1, "st_size": disk.size,
                        "st_blocks": -(-disk.size // 512)}
            raise fuse.FuseOSError(errno.ENOENT)

        def readdir(self, path: str, fh: object) -> list[str]:
            return [".", "..", name]

        def open(self, path: str, fi: Any) -> int:  # mfusepy's fuse_file_info, a ctypes structure
            if path != "/" + name:
                raise fuse.FuseOSError(errno.ENOENT)
            fi.direct_io = 1
            return 0

        def read(self, path: str, size: int, offset: int, fh: object) -> bytes:
            return disk.read(size, offset)

        def write(self, path: str, data: bytes, offset: int, fh: object) -> int:
            return disk.write(data, offset)

        def truncate(self, path: str, length: int, fh: object = None) -> int:
            raise fuse.FuseOSError(errno.EPERM)  # a disk does not change size

        def fsync(self, path: str, datasync: int, fh: object) -> int:
            disk.fsync(bool(datasync))
            return 0

        def flush(self, path: str, fh: object) -> int:
            return 0

    return fuse, Operations()


def serve(image: Path, mount: Path, bad_list: Path, state: Path) -> None:
    """Mount, serve until unmounted (or SIGTERM/SIGINT/SIGHUP, which unmount), then remove the state file."""
    disk = SectorDisk(image, bad_list)
    sector_list.write_json_atomic(state, state_record(pid=os.getpid(), image=image, mount=mount, bad_sectors=bad_list))
    try:
        fuse, operations = _operations(disk, image.name)
        fuse.FUSE(operations, str(mount), foreground=True, raw_fi=True, fsname="workbench", subtype=SUBTYPE)
    finally:
        state.unlink(missing_ok=True)
        os.close(disk.fd)
        if disk.failed_reads:
            log.info("%d reads failed on bad sectors of %s", disk.failed_reads, image.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.disk.sector_server", description=__doc__.split("\n")[0])
    parser.add_argument("--image", type=Path, required=True)
    parser.add_argument("--mount", type=Path, required=True)
    parser.add_argument("--bad-sectors", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="sector server: %(message)s", stream=sys.stderr)
    serve(args.image, args.mount, args.bad_sectors, args.state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
