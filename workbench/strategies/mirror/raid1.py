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

Devices are released in ``finally``: unmount, ``btrfs device scan --forget``
(by name, so the kernel drops its note of our devices), then detach.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ... import proc, workspace
from ...disk.loop import attached
from ...disk.mounting import mounted_device
from ...errors import OperationFailed, UsageError

HALVES = ("raid1-a.img", "raid1-b.img")
MIN_SIZE = 128 << 20  # mkfs.btrfs refuses raid1 much below this


@dataclass(frozen=True)
class Capacity:
    raw_bytes: int  # both halves together
    usable_bytes: int  # what files can fill: raw / data ratio
    used_bytes: int  # raw bytes used (both copies)
    data_ratio: float


@dataclass(frozen=True)
class ScrubReport:
    status: str
    errors: dict[str, int]  # btrfs' own error summary, e.g. {"csum": 1}
    corrected: int
    uncorrectable: int
    unverified: int
    scrubbed_bytes: int = 0  # "Total to scrub", as btrfs rounds it

    @property
    def clean(self) -> bool:
        return not self.errors and not self.uncorrectable


@dataclass(frozen=True)
class Placement:
    image: Path
    offset_bytes: int  # where the file's first block lies in that image file
    length_bytes: int


@dataclass
class MountedPair:
    mountpoint: Path
    devices: dict[Path, str] = field(default_factory=dict)  # image -> loop device, only the halves present


def halves(directory: Path) -> tuple[Path, Path]:
    return directory / HALVES[0], directory / HALVES[1]


def create_pair(directory: Path, size_bytes: int = 256 << 20, *, overwrite: bool = False) -> tuple[Path, Path]:
    """Two sparse images of ``size_bytes`` each, formatted as one btrfs raid1 filesystem."""
    if size_bytes < MIN_SIZE:
        raise UsageError(f"a raid1 half needs at least {MIN_SIZE >> 20} MiB, not {size_bytes >> 20} MiB: pass a bigger size")
    images = tuple(workspace.new_file(path, overwrite=overwrite) for path in halves(directory))
    for image in images:
        with open(image, "wb") as handle:
            handle.truncate(size_bytes)
    try:
        with attached(images[0]) as first, attached(images[1]) as second:
            try:
                proc.run(["mkfs.btrfs", "-q", "-f", "-L", "wb-raid1", "-d", "raid1", "-m", "raid1", first, second],
                         what="formatting the raid1 pair")
            finally:
                _forget([first, second])
    except BaseException:
        for image in images:
            image.unlink(missing_ok=True)
        raise
    return images  # type: ignore[return-value]


@contextmanager
def mounted_pair(directory: Path, *, lost: int | None = None, readonly: bool = False) -> Iterator[MountedPair]:
    """Mount the pair; ``lost=0`` or ``1`` leaves that half out and mounts degraded."""
    images = [image for index, image in enumerate(halves(directory)) if index != lost]
    for image in images:
        if not image.exists():
            raise UsageError(f"'{workspace.display(image)}' is missing: create the pair with "
                             f"'workbench mirror protect --mode raid1', or mount degraded without it")
    with ExitStack() as stack:
        devices = {image: stack.enter_context(attached(image, readonly=readonly)) for image in images}
        names = list(devices.values())
        stack.callback(_forget, names)
        proc.run(["btrfs", "device", "scan", *names], what="registering the raid1 devices")
        options = [f"device={name}" for name in names[1:]] + ["discard=sync"]
        if lost is not None:
            options.append("degraded")
        point = stack.enter_context(mounted_device(names[0], readonly=readonly, options=options, label="raid1"))
        yield MountedPair(point, devices)


def _forget(devices: list[str]) -> None:
    proc.run(["btrfs", "device", "scan", "--forget", *devices], check=False)


def capacity(mountpoint: Path) -> Capacity:
    return parse_usage(proc.text(["btrfs", "filesystem", "usage", "-b", mountpoint], what="reading btrfs usage"))


def scrub(mountpoint: Path) -> ScrubReport:
    """Run a scrub to the end (``-B``) and return btrfs' own counts."""
    done = proc.run(["btrfs", "scrub", "start", "-B", mountpoint], check=False, what="scrubbing")
    text = done.stdout.decode(errors="replace")
    if "Error summary" not in text:
        raise OperationFailed(f"btrfs scrub gave no summary (exit {done.returncode}): "
                              f"{done.stderr.decode(errors='replace').strip()[-200:]}")
    return parse_scrub(text)


def device_stats(mountpoint: Path) -> dict[str, dict[str, int]]:
    return parse_device_stats(proc.text(["btrfs", "device", "stats", mountpoint], what="reading device stats"))


def locate(pair: MountedPair, relative: str) -> list[Placement]:
    """Where the first block of a file lies in each half's image file (filefrag, then btrfs-map-logical)."""
    path = pair.mountpoint / relative
    # btrfs-map-logical reads the trees from the devices, so commit the transaction first.
    proc.run(["btrfs", "filesystem", "sync", pair.mountpoint], what="committing the filesystem")
    extents = parse_filefrag(proc.text(["filefrag", "-v", "-b4096", path], what="mapping the file's extents"))
    if not extents:
        raise UsageError(f"'{relative}' has no data extent of its own (empty, or inline in metadata): "
                         f"write a file bigger than 4 KiB")
    logical_bytes = extents[0][1] * 4096
    device_image = {device: image for image, device in pair.devices.items()}
    placements = []
    # btrfs writes its trees past the devices' page cache; pages cached by an earlier
    # read would show btrfs-map-logical old trees (seen as a failed mapping under load).
    for device in pair.devices.values():
        proc.run(["blockdev", "--flushbufs", device], what="dropping the device's stale cache")
    any_device = next(iter(pair.devices.values()))
    mapped = proc.text(["btrfs-map-logical", "-l", str(logical_bytes), "-b", "4096", any_device],
                       what="mapping a btrfs logical address")
    for _mirror, physical, device in parse_map_logical(mapped):
        if device in device_image:
            placements.append(Placement(device_image[device], physical, 4096))
    return placements


# ---- parsers (pure) ----

_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}

def _number(pattern: str, text: str, kind: type = int) -> int | float:
    match = re.search(pattern, text, re.MULTILINE)
    if not match:
        raise OperationFailed(f"unexpected btrfs output: no match for {pattern!r}")
    return kind(match.group(1))


def parse_usage(text: str) -> Capacity:
    raw = int(_number(r"^\s*Device size:\s+(\d+)", text))
    ratio = float(_number(r"^\s*Data ratio:\s+([\d.]+)", text, float))
    used = int(_number(r"^\s*Used:\s+(\d+)", text))
    return Capacity(raw_bytes=raw, usable_bytes=int(raw / ratio), used_bytes=used, data_ratio=ratio)


def parse_scrub(text: str) -> ScrubReport:
    status = re.search(r"^Status:\s+(\S+)", text, re.MULTILINE)
    summary = re.search(r"^Error summary:\s+(.*)$", text, re.MULTILINE)
    errors: dict[str, int] = {}
    if summary and "no errors found" not in summary.group(1):
        errors = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", summary.group(1))}

    def count(name: str) -> int:
        found = re.search(rf"^\s*{name}:\s+(\d+)", text, re.MULTILINE)
        return int(found.group(1)) if found else 0

    total = re.search(r"^Total to scrub:\s+([\d.]+)\s*([KMGT]?i?B)", text, re.MULTILINE)
    scrubbed = int(float(total.group(1)) * _UNITS[total.group(2)]) if total else 0
    return ScrubReport(status=status.group(1) if status else "unknown", errors=errors,
                       corrected=count("Corrected"), uncorrectable=count("Uncorrectable"),
                       unverified=count("Unverified"), scrubbed_bytes=scrubbed)


def parse_device_stats(text: str) -> dict[str, dict[str, int]]:
    stats: dict[str, dict[str, int]] = {}
    for device, counter, value in re.findall(r"^\[(.+?)\]\.(\w+)\s+(\d+)$", text, re.MULTILINE):
        stats.setdefault(device, {})[counter] = int(value)
    return stats


def parse_filefrag(text: str) -> list[tuple[int, int, int]]:
    """(logical block, physical block, length in blocks) per extent; inline extents are left out."""
    extents = []
    for line in text.splitlines():
        match = re.match(r"^\s*\d+:\s+(\d+)\.\.\s*\d+:\s+(\d+)\.\.\s*\d+:\s+(\d+):(.*)$", line)
        if match and "inline" not in match.group(4):
            extents.append((int(match.group(1)), int(match.group(2)), int(match.group(3))))
    return extents


def parse_map_logical(text: str) -> list[tuple[int, int, str]]:
    """(mirror number, physical byte offset, device) for each copy."""
    return [(int(m), int(p), d) for m, p, d in
            re.findall(r"^mirror (\d+) logical \d+ physical (\d+) device (\S+)$", text, re.MULTILINE)]
