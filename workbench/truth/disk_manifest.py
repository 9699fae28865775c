"""The disk-level manifest: what a whole system disk holds, beyond the files of its root.

It adds to the root filesystem's file manifest: the partition-table entries
(type, GUIDs, name, start, size, read with sfdisk, not raw bytes, so the
position of the backup GPT does not matter), a BLAKE3 of the boot-code area
(bytes 0-439 of sector 0) and a BLAKE3 of every file on the ESP (read in
userspace with mtools). The root is mounted read-only for the walk.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import blake3

from .. import guard
from ..disk import esp as esp_files
from ..disk.bootcode import BOOT_CODE_SIZE
from ..disk.mounting import mounted
from ..disk.table import read_table
from ..errors import UsageError
from ..jsonfile import dumps
from .manifest import Manifest, read_manifest_json, take_manifest

FORMAT = "workbench-disk-manifest"
VERSION = 1


@dataclass
class DiskManifest:
    label: str  # gpt, dos, or "" when there is no table
    disk_guid: str
    partitions: list[dict[str, Any]]
    boot_code: str  # BLAKE3 hex of bytes 0-439
    esp: dict[str, str] = field(default_factory=dict)  # ESP path -> BLAKE3 hex
    root: Manifest | None = None
    taken_at: str | None = None

    @property
    def table_hash(self) -> str:
        data = json.dumps({"label": self.label, "disk_guid": self.disk_guid, "partitions": self.partitions},
                          sort_keys=True)  # fmt: skip
        return blake3.blake3(data.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "hash": "blake3",
            "taken_at": self.taken_at,
            "table": {"label": self.label, "disk_guid": self.disk_guid, "partitions": self.partitions,
                      "hash": self.table_hash},  # fmt: skip
            "boot_code": self.boot_code,
            "esp": self.esp,
            "root": self.root.to_json() if self.root else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DiskManifest:
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise UsageError(f"not a workbench disk manifest (format {data.get('format')!r})")
        table = data["table"]
        root = Manifest.from_json(data["root"]) if data.get("root") else None
        return cls(table["label"], table["disk_guid"], table["partitions"], data["boot_code"], data["esp"], root,
                   data.get("taken_at"))  # fmt: skip

    def save(self, path: Path) -> None:
        path.write_bytes(dumps(self.to_json()) + b"\n")

    @classmethod
    def load(cls, path: Path) -> DiskManifest:
        return cls.from_json(read_manifest_json(path))


def take_disk_manifest(image: Path, *, include: Sequence[str] | None = None) -> DiskManifest:
    """Read a disk image's table, boot code, ESP files and root (or data) filesystem manifest.

    Only a workspace image file is read (``guard.check_image``): a device is refused,
    even one of our loop devices, since the root is mounted by attaching the image.
    """
    image = guard.check_image(image)
    table = read_table(image)
    with open(image, "rb") as handle:
        boot = handle.read(BOOT_CODE_SIZE)
    roles = {p.role for p in table.partitions}
    esp: dict[str, str] = {}
    if "esp" in roles:
        esp = {path: blake3.blake3(data).hexdigest()
               for path, data in esp_files.read_files(image, table.by_role("esp")).items()}  # fmt: skip
    root = None
    fs_role = "root" if "root" in roles else "data" if "data" in roles else None
    if fs_role:
        with mounted(image, fs_role, readonly=True) as point:
            root = take_manifest(point, include=include)
    return DiskManifest(
        label=table.label,
        disk_guid=table.disk_guid,
        partitions=table.entries(),
        boot_code=blake3.blake3(boot).hexdigest(),
        esp=esp,
        root=root,
        taken_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def disk_differences(expected: DiskManifest, actual: DiskManifest) -> list[str]:
    """What differs below the file level: table entries, boot code, ESP files (pure)."""
    found = []
    if (expected.label, expected.disk_guid) != (actual.label, actual.disk_guid):
        found.append(f"partition table: label/disk GUID {expected.label} {expected.disk_guid} -> "
                     f"{actual.label or 'none'} {actual.disk_guid}")  # fmt: skip
    want = {p["number"]: p for p in expected.partitions}
    got = {p["number"]: p for p in actual.partitions}
    for number in sorted(want.keys() | got.keys()):
        if want.get(number) != got.get(number):
            found.append(f"partition {number}: {_describe(want.get(number))} -> {_describe(got.get(number))}")
    if expected.boot_code != actual.boot_code:
        found.append("boot code (bytes 0-439) differs")
    for path in sorted(expected.esp.keys() | actual.esp.keys()):
        if path not in actual.esp:
            found.append(f"ESP file missing: {path}")
        elif path not in expected.esp:
            found.append(f"ESP file unexpected: {path}")
        elif expected.esp[path] != actual.esp[path]:
            found.append(f"ESP file corrupted: {path}")
    return found


def _describe(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "none"
    return (f"{entry.get('name') or '?'} type {entry['type']} uuid {entry['uuid']} start {entry['start']} "
            f"size {entry['size']}")


def load_any(path: Path) -> tuple[Manifest, DiskManifest | None]:
    """Load a tree manifest or a disk manifest file: (the file manifest, the disk manifest or None)."""
    data = read_manifest_json(path)
    if isinstance(data, dict) and data.get("format") == FORMAT:
        disk = DiskManifest.from_json(data)
        if disk.root is None:
            raise UsageError(f"'{path}' is a disk manifest without a filesystem to compare")
        return disk.root, disk
    return Manifest.from_json(data), None
