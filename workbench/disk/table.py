"""Reading partition tables (``sfdisk --json``) into plain data, and checking and moving the GPT."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import guard, proc
from ..errors import DamageFound
from .layout import ESP_TYPE, SECTOR


@dataclass(frozen=True)
class Partition:
    number: int
    role: str  # "esp", "root", "data" or "other"
    start_bytes: int
    size_bytes: int
    type_guid: str
    uuid: str
    name: str

    @property
    def end_bytes(self) -> int:
        return self.start_bytes + self.size_bytes

    def entry(self) -> dict[str, object]:
        """What identifies the partition, independent of where the backup GPT sits."""
        return {
            "number": self.number,
            "type": self.type_guid,
            "uuid": self.uuid,
            "name": self.name,
            "start": self.start_bytes,
            "size": self.size_bytes,
        }


@dataclass(frozen=True)
class PartitionTable:
    label: str  # "gpt", "dos", or "" when none was found
    disk_guid: str
    partitions: tuple[Partition, ...]

    def by_role(self, role: str) -> Partition:
        for part in self.partitions:
            if part.role == role:
                return part
        known = ", ".join(p.role for p in self.partitions) or "none"
        raise DamageFound(
            f"the disk has no '{role}' partition (partitions found: {known}); "
            "is the partition table damaged? try 'workbench disk check'"
        )

    def entries(self) -> list[dict[str, object]]:
        return [part.entry() for part in self.partitions]


def parse_sfdisk_json(text: str) -> PartitionTable:
    """Turn ``sfdisk --json`` output into a PartitionTable (pure)."""
    table = json.loads(text)["partitiontable"]
    sector = int(table.get("sectorsize", SECTOR))
    raw = table.get("partitions", [])
    linux = [p for p in raw if p.get("type", "").upper() != ESP_TYPE]
    largest_linux = max(linux, key=lambda p: p["size"]) if linux else None
    parts = []
    for index, entry in enumerate(raw, start=1):
        parts.append(
            Partition(
                number=index,
                role=_role(entry, largest_linux, len(raw)),
                start_bytes=int(entry["start"]) * sector,
                size_bytes=int(entry["size"]) * sector,
                type_guid=entry.get("type", "").upper(),
                uuid=entry.get("uuid", "").upper(),
                name=entry.get("name", ""),
            )
        )
    return PartitionTable(table.get("label", ""), table.get("id", "").upper(), tuple(parts))


def _role(entry: dict, largest_linux: dict | None, count: int) -> str:
    name = entry.get("name", "").lower()
    if name in ("esp", "root", "data"):
        return name
    if entry.get("type", "").upper() == ESP_TYPE:
        return "esp"
    if entry is largest_linux:
        # A disk imported from elsewhere: its biggest non-ESP partition is the root.
        return "root" if count > 1 else "data"
    return "other"


def read_table(image: str | Path) -> PartitionTable:
    """The partition table of a disk image (or an empty one if there is none).

    Only a workspace image or one of our loop devices is read (``guard.held``, which
    sfdisk reads as ``/proc/self/fd/N``): never a disk of the machine, and never a file
    outside the workspace, so ``disk import`` reads the table of its copy, not of the source.
    """
    with guard.held(image) as disk:
        done = proc.run(["sfdisk", "--json", disk.path], check=False, pass_fds=(disk.fd,))
    if done.returncode != 0 or not done.stdout.strip():
        return PartitionTable("", "", ())
    return parse_sfdisk_json(done.stdout.decode())


def gpt_problems(image: Path) -> list[str]:
    """What ``sgdisk --verify`` finds wrong with the GPT (both copies); empty when sound."""
    with guard.held(image) as disk:
        done = proc.run(["sgdisk", "--verify", disk.path], check=False, pass_fds=(disk.fd,))
    out = done.stdout.decode(errors="replace")
    if "No problems found" in out and done.returncode == 0:
        return []
    problems = [ln.strip() for ln in out.splitlines() if ln.strip().startswith(("Main", "Backup", "Problem"))]
    return problems or ["sgdisk --verify found problems"]


def move_backup_gpt(image: Path) -> None:
    """On a larger disk, put the backup GPT at the new end (``sgdisk -e``)."""
    with guard.held(image, write=True, image_only=True) as disk:
        proc.run(["sgdisk", "-e", disk.path], what="moving the backup GPT to the end of the larger disk",
                 pass_fds=(disk.fd,))
