"""btrfs on loop devices: format a raid1 pair, mount it, and ask btrfs what it knows.

There is no udev here, so every device of a multi-device filesystem is named
twice: ``btrfs device scan`` before the mount, ``-o device=`` in it. After use,
``btrfs device scan --forget`` (by name) drops the kernel's note of the
devices, so a detached loop device leaves nothing behind.

``filefrag -v`` on btrfs gives a *logical* address; ``btrfs-map-logical``
maps it to each copy's physical offset on its device.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import proc
from ..errors import OperationFailed, UsageError
from .mounting import mounted_device

BLOCK = 4096  # the pair's sector size: filefrag and btrfs-map-logical count in it


@dataclass(frozen=True)
class Capacity:
    raw_bytes: int  # both halves together
    usable_bytes: int  # what files can fill: raw / data ratio
    used_bytes: int  # raw bytes used (both copies)
    data_ratio: float
    stored_bytes: int = 0  # one copy of what is used: data, metadata and system together


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


def format_raid1(devices: Sequence[str], *, label: str = "wb-raid1") -> None:
    """``mkfs.btrfs -d raid1 -m raid1`` across the devices; the kernel forgets them again afterwards."""
    try:
        proc.run(["mkfs.btrfs", "-q", "-f", "-L", label, "-d", "raid1", "-m", "raid1", *devices],
                 what="formatting the raid1 pair")
    finally:
        forget(devices)


@contextmanager
def mounted_raid1(devices: Sequence[str], *, readonly: bool = False, degraded: bool = False) -> Iterator[Path]:
    """Mount a multi-device btrfs by naming all its present devices (``discard=sync``); yield the mount point.

    ``degraded`` mounts with a device missing. On leaving: unmount, then forget the devices.
    """
    names = list(devices)
    try:
        proc.run(["btrfs", "device", "scan", *names], what="registering the raid1 devices")
        options = [f"device={name}" for name in names[1:]] + ["discard=sync"]
        if degraded:
            options.append("degraded")
        with mounted_device(names[0], readonly=readonly, options=options, label="raid1") as point:
            yield point
    finally:
        forget(names)


def forget(devices: Sequence[str]) -> None:
    """``btrfs device scan --forget``: the kernel drops its note of these (unmounted) devices."""
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


def first_block_copies(mountpoint: Path, relative: str, devices: Sequence[str]) -> list[tuple[str, int]]:
    """(device, byte offset on it) of each copy of a file's first 4 KiB block (filefrag, btrfs-map-logical)."""
    path = mountpoint / relative
    # btrfs-map-logical reads the trees from the devices, so commit the transaction first.
    proc.run(["btrfs", "filesystem", "sync", mountpoint], what="committing the filesystem")
    extents = parse_filefrag(proc.text(["filefrag", "-v", f"-b{BLOCK}", path], what="mapping the file's extents"))
    if not extents:
        raise UsageError(f"'{relative}' has no data extent of its own (empty, or inline in metadata): "
                         f"write a file bigger than 4 KiB")
    logical_bytes = extents[0][1] * BLOCK
    command = ["btrfs-map-logical", "-l", str(logical_bytes), "-b", str(BLOCK), devices[0]]
    for _attempt in range(MAP_ATTEMPTS - 1):
        _commit_and_flush(mountpoint, devices)
        done = proc.run(command, check=False)
        if done.returncode == 0:
            return [(device, physical) for _mirror, physical, device in parse_map_logical(done.stdout.decode())]
        time.sleep(0.5)
    _commit_and_flush(mountpoint, devices)
    mapped = proc.text(command, what="mapping a btrfs logical address")
    return [(device, physical) for _mirror, physical, device in parse_map_logical(mapped)]


#: btrfs-map-logical still failed now and then on a loaded machine (one of four runs of the raid1 cells) after
#: a commit and a flush; a second look, after another commit and flush, found the mapping.
MAP_ATTEMPTS = 3


def _commit_and_flush(mountpoint: Path, devices: Sequence[str]) -> None:
    """Commit the transaction, and drop the devices' cached pages: btrfs writes its trees past the
    devices' page cache, so pages cached by an earlier read would show btrfs-map-logical old trees."""
    proc.run(["btrfs", "filesystem", "sync", mountpoint], what="committing the filesystem")
    for device in devices:
        proc.run(["blockdev", "--flushbufs", device], what="dropping the device's stale cache")


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
    stored = sum(int(n) for n in re.findall(r"^(?:Data|Metadata|System),[^:]*:\s*Size:\d+,\s*Used:(\d+)", text,
                                            re.MULTILINE))
    return Capacity(raw_bytes=raw, usable_bytes=int(raw / ratio), used_bytes=used, data_ratio=ratio,
                    stored_bytes=stored)


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
