"""partclone on one partition of a workspace disk: clone it into a zstd-compressed image, restore one, check one.

partclone reads and writes a device, so each call attaches the partition as a
loop device of its own (read-only to clone) and releases it on the way out.
Its image goes through ``zstd -T0`` on a pipe (``proc.pipe``), as people run
it: ``partclone.ext4 -c -s DEV -o - | zstd -T0 -o IMAGE`` and back with
``zstd -dc IMAGE | partclone.ext4 -r -s - -o DEV``. ``partclone.chkimg`` reads
an image through the same pipe and checks its per-block CRC32s.

partclone's log goes to a temporary file (``-L``), not to /var/log; what the
caller gets is the tool's own messages (stderr), for ``partclone_output`` to read.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import guard, proc
from ..errors import UsageError
from .loop import attached
from .table import Partition

#: The filesystem partclone is asked to read for a partition, by its role; the tool of each.
FILESYSTEM_OF_ROLE = {"esp": "fat", "root": "ext4", "data": "ext4"}
TOOL_OF_FILESYSTEM = {"fat": "partclone.fat", "ext4": "partclone.ext4"}
#: Progress without per-block detail, redrawn every second: partclone waits out one refresh
#: interval (2 s by default) before it exits, which would dwarf the work on small partitions.
_QUIET = ("-B", "-f", "1")


@dataclass(frozen=True)
class Run:
    """What one partclone run said (stderr) and wrote in its log, and the exit codes of both ends of the pipe."""

    messages: str
    log: str
    partclone_code: int
    zstd_code: int
    zstd_messages: str

    @property
    def ok(self) -> bool:
        return self.partclone_code == 0 and self.zstd_code == 0


def filesystem_of(part: Partition) -> str:
    """'ext4' or 'fat': the partclone flavour for a partition of a workbench disk."""
    try:
        return FILESYSTEM_OF_ROLE[part.role]
    except KeyError:
        raise UsageError(f"partition {part.number} ({part.name or part.role}) has no filesystem partclone "
                         f"is set up for here: partclone images {', '.join(sorted(FILESYSTEM_OF_ROLE))}") from None


def clone(image: Path, part: Partition, filesystem: str, out: Path, *, rescue: bool = False) -> Run:
    """``partclone.<fs> -c`` of one partition of ``image`` (read-only) into ``out``, compressed with zstd.

    ``rescue`` (``-R``): go on past the disk's read errors, as partclone advises on a disk with bad sectors;
    the blocks that would not read are imaged as zeros.
    """
    real = guard.check_target(image)
    with attached(real, part, readonly=True) as device, _log() as log:
        tool = TOOL_OF_FILESYSTEM[filesystem]
        left, right = proc.pipe([tool, "-c", *_QUIET, *(["-R"] if rescue else []), "-s", device, "-o", "-",
                                 "-L", log],
                                ["zstd", "-T0", "-q", "-f", "-o", out], check=False)
        return Run(left.stderr.decode(errors="replace"), log.read_text(errors="replace"), left.returncode,
                   right.returncode, right.stderr.decode(errors="replace"))


def restore(compressed: Path, image: Path, part: Partition, filesystem: str, *, ignore_crc: bool = False) -> Run:
    """``partclone.<fs> -r`` of ``compressed`` onto partition ``part`` of the disk ``image``.

    ``ignore_crc`` (``-i``): write blocks whose checksum does not match instead of stopping there.
    """
    real = guard.check_image(image)
    with attached(real, part) as device, _log() as log:
        tool = TOOL_OF_FILESYSTEM[filesystem]
        flags = ["-i"] if ignore_crc else []
        left, right = proc.pipe(["zstd", "-dc", "-q", compressed],
                                [tool, "-r", *_QUIET, *flags, "-s", "-", "-o", device, "-L", log], check=False)
        return Run(right.stderr.decode(errors="replace"), log.read_text(errors="replace"), right.returncode,
                   left.returncode, left.stderr.decode(errors="replace"))


def check(compressed: Path) -> Run:
    """``partclone.chkimg`` of one compressed image: does every block still match its CRC?"""
    with _log() as log:
        left, right = proc.pipe(["zstd", "-dc", "-q", compressed], ["partclone.chkimg", *_QUIET, "-s", "-", "-L", log],
                                check=False)
        return Run(right.stderr.decode(errors="replace"), log.read_text(errors="replace"), right.returncode,
                   left.returncode, left.stderr.decode(errors="replace"))


@contextmanager
def _log() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="partclone-") as folder:
        path = Path(folder) / "partclone.log"
        path.touch()
        yield path
