"""RAID1 with btrfs across two loop disks: two plain image files, one filesystem.

The pair lives in a directory of the workspace: ``raid1-a.img`` and
``raid1-b.img`` (whole-file sparse images, no partition table: the filesystem
starts at byte 0, so an offset btrfs reports *is* the offset in the image file).
It is formatted ``mkfs.btrfs -d raid1 -m raid1`` and mounted by naming both
devices (``-o device=``; there is no udev here) with ``discard=sync``, so space
btrfs frees is punched out of both image files at once (a deleted file's bytes
really leave both halves, as after fstrim).

What the pair shows: usable capacity is half the raw one; a deletion or an
overwrite lands on both halves; a corrupted copy on one half is detected by
btrfs' checksums and healed from the other on read or by scrub (its own counts
are reported); with one half lost, a ``degraded`` mount still reads everything.
A half that is there but is no longer a member (its btrfs superblock damaged)
is treated like a lost one: ``mounted_pair(degrade=True)`` mounts without it
when the whole pair does not mount, and says which half it left out.

Devices are released in ``finally``: unmount, ``btrfs device scan --forget``
(by name, so the kernel drops its note of our devices), then detach. What
runs btrfs' tools is ``workbench.disk.btrfs``; this module keeps the pair's
files and maps what btrfs reports back onto them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ... import workspace
from ...disk import btrfs
from ...disk.btrfs import Capacity, ScrubReport, capacity, device_stats, scrub
from ...disk.loop import attached
from ...errors import UsageError, WorkbenchError

__all__ = ["HALVES", "MIN_SIZE", "SUPERBLOCK_OFFSET", "SUPERBLOCK_SIZE", "Capacity", "MountedPair", "Placement",
           "ScrubReport", "capacity", "create_pair", "device_stats", "halves", "locate", "missing_half",
           "mounted_pair", "scrub"]

HALVES = ("raid1-a.img", "raid1-b.img")
MIN_SIZE = 128 << 20  # mkfs.btrfs refuses raid1 much below this
#: btrfs' primary superblock on each device (its copies lie at 64 MiB and 256 GiB).
SUPERBLOCK_OFFSET = 64 << 10
SUPERBLOCK_SIZE = 4096


@dataclass(frozen=True)
class Placement:
    image: Path
    offset_bytes: int  # where the file's first block lies in that image file
    length_bytes: int


@dataclass
class MountedPair:
    mountpoint: Path
    devices: dict[Path, str] = field(default_factory=dict)  # image -> loop device, only the halves present
    left_out: int | None = None  # the half mounted without (missing, or no longer a member)


def halves(directory: Path) -> tuple[Path, Path]:
    return directory / HALVES[0], directory / HALVES[1]


def create_pair(directory: Path, size_bytes: int = 256 << 20, *, overwrite: bool = False) -> tuple[Path, Path]:
    """Two sparse images of ``size_bytes`` each, formatted as one btrfs raid1 filesystem."""
    if size_bytes < MIN_SIZE:
        raise UsageError(f"a raid1 half needs at least {MIN_SIZE >> 20} MiB, not {size_bytes >> 20} MiB: "
                         "pass a bigger size")
    half_a, half_b = halves(directory)
    images = (workspace.new_file(half_a, overwrite=overwrite), workspace.new_file(half_b, overwrite=overwrite))
    for image in images:
        with open(image, "wb") as handle:
            handle.truncate(size_bytes)
    try:
        with attached(images[0]) as first, attached(images[1]) as second:
            btrfs.format_raid1([first, second])
    except BaseException:
        for image in images:
            image.unlink(missing_ok=True)
        raise
    return images


def missing_half(directory: Path) -> int | None:
    """The half whose image file is gone (None when both are there); ``UsageError`` when both are."""
    present = [image.exists() for image in halves(directory)]
    if not any(present):
        raise UsageError(f"'{workspace.display(directory)}' holds no raid1 pair: run "
                         f"'workbench mirror protect --mode raid1' first")
    return None if all(present) else present.index(False)


@contextmanager
def mounted_pair(directory: Path, *, lost: int | None = None, readonly: bool = False,
                 degrade: bool = False) -> Iterator[MountedPair]:
    """Mount the pair; ``lost=0`` or ``1`` leaves that half out and mounts degraded.

    ``degrade``: when the whole pair does not mount, mount without one half (A first,
    the machine's disk, then B), as an administrator would with ``-o degraded``; the
    first error is raised when neither way mounts.
    """
    attempts = [lost] if lost is not None or not degrade else [None, 0, 1]
    first: WorkbenchError | None = None
    for leave_out in attempts:
        stack = ExitStack()
        try:
            pair = _mount(stack, directory, leave_out, readonly)
        except WorkbenchError as exc:
            stack.close()
            first = first or exc
            continue
        with stack:
            yield pair
        return
    assert first is not None
    raise first


def _mount(stack: ExitStack, directory: Path, lost: int | None, readonly: bool) -> MountedPair:
    images = [image for index, image in enumerate(halves(directory)) if index != lost]
    for image in images:
        if not image.exists():
            raise UsageError(f"'{workspace.display(image)}' is missing: create the pair with "
                             f"'workbench mirror protect --mode raid1', or mount degraded without it")
    devices = {image: stack.enter_context(attached(image, readonly=readonly)) for image in images}
    point = stack.enter_context(btrfs.mounted_raid1(list(devices.values()), readonly=readonly,
                                                    degraded=lost is not None))
    return MountedPair(point, devices, lost)


def locate(pair: MountedPair, relative: str) -> list[Placement]:
    """Where the first block of a file lies in each half's image file.

    A half has no partition table, so an offset on its loop device is the offset in its image file.
    ``btrfs-map-logical`` reads the chunk tree from the devices, not from the mounted filesystem, so
    the filesystem is committed first: a chunk allocated since the last commit is not on disk yet
    (seen on a busy machine as "mapping a btrfs logical address failed").
    """
    os.sync()
    device_image = {device: image for image, device in pair.devices.items()}
    copies = btrfs.first_block_copies(pair.mountpoint, relative, list(pair.devices.values()))
    return [Placement(device_image[device], physical, btrfs.BLOCK)
            for device, physical in copies if device in device_image]
