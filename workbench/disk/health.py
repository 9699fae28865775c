"""The health check: is this disk still a working system disk?

It answers four questions with data, not text to parse: is the partition
table valid, is the boot code intact, is the ESP readable with its boot
loader, and does fsck find the root filesystem clean. It runs without
loop devices (sfdisk, sgdisk, mtools and e2fsck all read the image file).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import guard, proc
from ..errors import WorkbenchError
from . import bootcode, esp
from .table import Partition, PartitionTable, gpt_problems, read_table


@dataclass
class Health:
    partition_table_ok: bool
    boot_code_ok: bool
    esp_ok: bool | None  # None: not checked (the layout has none, or no partition table to find it)
    root_fsck_clean: bool | None  # None: not checked (no partition table to find it)
    details: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (self.partition_table_ok and self.boot_code_ok and self.esp_ok is not False
                and self.root_fsck_clean is True)

    def to_json(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def check(image: str | Path) -> Health:
    real = guard.check_image(image)
    details: dict[str, str] = {}
    table = read_table(real)
    table_ok = _table_ok(real, table, details)
    boot_ok = _boot_ok(real, details)
    if not table.partitions:
        details["esp"] = details["root_fsck"] = "not checked: no partition table to find it"
        return Health(table_ok, boot_ok, None, None, details)
    esp_ok = _esp_ok(real, table, details) if _has(table, "esp") else None
    fsck_ok = _fsck_ok(real, table, details)
    return Health(table_ok, boot_ok, esp_ok, fsck_ok, details)


def _has(table: PartitionTable, role: str) -> bool:
    return any(p.role == role for p in table.partitions)


def _table_ok(image: Path, table: PartitionTable, details: dict[str, str]) -> bool:
    if table.label != "gpt" or not table.partitions:
        details["partition_table"] = f"no GPT partitions found (label: {table.label or 'none'})"
        return False
    problems = gpt_problems(image)
    if problems:
        details["partition_table"] = "; ".join(problems)
        return False
    details["partition_table"] = f"GPT with {len(table.partitions)} partitions, both copies sound"
    return True


def _boot_ok(image: Path, details: dict[str, str]) -> bool:
    with open(image, "rb") as handle:
        area = handle.read(bootcode.BOOT_CODE_SIZE)
    state = bootcode.boot_code_state(area)
    details["boot_code"] = state
    return state in ("intact", "foreign")


def _esp_ok(image: Path, table: PartitionTable, details: dict[str, str]) -> bool:
    try:
        files = esp.read_files(image, table.by_role("esp"))
    except WorkbenchError as exc:
        details["esp"] = str(exc)
        return False
    loader = files.get(bootcode.BOOT_LOADER_PATH)
    if loader is None:
        details["esp"] = f"readable, but {bootcode.BOOT_LOADER_PATH} is missing"
        return False
    if not loader.startswith(b"MZ"):  # every EFI binary is a PE image: zeroed or overwritten, it cannot start
        details["esp"] = f"{bootcode.BOOT_LOADER_PATH} is damaged: not an EFI executable (no 'MZ' header)"
        return False
    if loader.startswith(b"MZWORKBENCH") and loader != bootcode.boot_loader():
        details["esp"] = f"{bootcode.BOOT_LOADER_PATH} is damaged"
        return False
    details["esp"] = f"readable, {len(files)} files, boot loader present"
    return True


def _fsck_ok(image: Path, table: PartitionTable, details: dict[str, str]) -> bool:
    role = "root" if _has(table, "root") else "data"
    if not _has(table, role):
        details["root_fsck"] = "no root filesystem found"
        return False
    clean, details["root_fsck"] = fsck(image, table.by_role(role))
    return clean


def fsck(image: Path, part: Partition) -> tuple[bool, str]:
    """Read-only e2fsck of one partition: (clean, what it said)."""
    with guard.held(image) as disk:
        done = proc.run(["e2fsck", "-f", "-n", f"{disk.path}?offset={part.start_bytes}"], check=False,
                        pass_fds=(disk.fd,))
    if done.returncode == 0:
        return True, "clean"
    lines = (done.stdout + done.stderr).decode(errors="replace").strip().splitlines()
    return False, f"e2fsck exit {done.returncode}: {lines[-1] if lines else ''}".strip()
