"""The EFI System Partition, read and written in userspace with mtools.

The kernel here cannot mount vfat, so the ESP is reached through mtools'
``IMAGE@@OFFSET`` syntax: no loop device, no mount.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .. import guard, proc
from .table import Partition

_ENV = {"MTOOLS_SKIP_CHECK": "1"}


def _drive(image: Path, esp: Partition) -> str:
    return f"{image}@@{esp.start_bytes}"


def format_esp(image: Path, esp: Partition) -> None:
    """Make a FAT32 filesystem exactly the size of the partition (never past its end)."""
    size_kib = esp.size_bytes // 1024
    with guard.held(image, write=True, image_only=True) as disk:
        proc.run(
            ["mkfs.fat", "-F", "32", "-s", "1", "-n", "ESP", f"--offset={esp.start_bytes // 512}", disk.path,
             str(size_kib)],
            what="formatting the EFI System Partition", pass_fds=(disk.fd,),
        )


def copy_in(image: Path, esp: Partition, source_dir: Path) -> None:
    """Copy a directory's contents to the ESP's root."""
    items = sorted(source_dir.iterdir())
    with guard.held(image, write=True, image_only=True) as disk:
        if items:
            proc.run(["mcopy", "-s", "-Q", "-o", "-i", _drive(disk.path, esp), *items, "::/"], env=_ENV,
                     what="writing the ESP", pass_fds=(disk.fd,))


def copy_out(image: Path, esp: Partition, dest_dir: Path) -> None:
    """Copy the whole ESP into a directory (the image is checked like any raw read)."""
    with guard.held(image) as disk:
        dest_dir.mkdir(parents=True, exist_ok=True)
        listing = proc.run(["mdir", "-b", "-i", _drive(disk.path, esp), "::/"], env=_ENV, check=False,
                           what="reading the ESP", pass_fds=(disk.fd,))
        if listing.returncode != 0:
            raise_unreadable(listing.stderr)
        if listing.stdout.strip():
            proc.run(["mcopy", "-s", "-n", "-m", "-i", _drive(disk.path, esp), "::/*", dest_dir], env=_ENV,
                     what="reading the ESP", pass_fds=(disk.fd,))


def read_files(image: Path, esp: Partition) -> dict[str, bytes]:
    """Every file on the ESP as {path: bytes}; raises OperationFailed if the ESP is unreadable."""
    with tempfile.TemporaryDirectory(prefix="esp-") as tmp:
        root = Path(tmp)
        copy_out(image, esp, root)
        return {
            str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()
        }


def raise_unreadable(stderr: bytes) -> None:
    from ..errors import DamageFound

    detail = stderr.decode(errors="replace").strip().splitlines()
    raise DamageFound(f"the ESP is not a readable FAT filesystem ({detail[-1] if detail else 'mtools failed'})")
