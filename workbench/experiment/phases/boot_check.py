"""Phase 6, boot check (``--boot-check``): does the recovered disk start, measured by booting it.

A cell of a profile with an operating system boots its recovered disk under
QEMU (``disk.boot``, on a throw-away overlay) when the boot could have changed:
after every disk-level recovery (a restored disk, a swapped-in clone, a disk
the user tried to repair), and whenever the disk's partition entries, boot
code or ESP files differ from the pre-fault disk's, ``none`` included. A disk
whose boot area is byte for byte the pre-fault one keeps the byte check
(``boot_check = bytes``): the same bytes boot the same way, and a boot costs a
minute or two of emulation. A disk that is gone does not boot, and needs no
emulator to say so.

The console is kept beside the cell's details (``cells/<label>.boot.log``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...disk.boot import boot
from ..recovery import RecoveryOutcome

#: A bound on a hang, not a timing: a TCG boot to multi-user took 33-250 s here under load; a failure takes seconds.
TIMEOUT_S = 900.0
#: The disk facts (``machine.disk_facts``) a firmware reads on its way to the kernel.
BOOT_FACTS = ("partition_entries", "boot_code", "esp_files")


@dataclass(frozen=True)
class BootCheck:
    """The boot columns of a cell's row, and what its details keep of the boot."""

    booted: bool | None  # None: no boot ran (the byte check stands)
    seconds: float = math.nan
    details: dict[str, Any] = field(default_factory=dict)

    def columns(self, byte_check: Any) -> dict[str, Any]:
        """``boot_ok``, ``boot_s`` and ``boot_check``, over the byte check's ``boot_ok`` (NaN: no disk of the kind)."""
        if self.booted is None:
            kind = "" if _missing(byte_check) else "bytes"
            return {"boot_ok": byte_check, "boot_s": math.nan, "boot_check": kind}
        return {"boot_ok": self.booted, "boot_s": round(self.seconds, 1), "boot_check": "booted"}


NOT_BOOTED = BootCheck(None, details={"verdict": "not booted",
                                      "why": "the boot area is the pre-fault disk's: the byte check stands"})


def needs_boot(outcome: RecoveryOutcome, before: dict | None, after: dict | None) -> bool:
    """Whether the recovered disk must be booted to know it starts (pure): see the module's rule."""
    if before is None:  # not a partitioned disk (a raid1 pair): nothing a firmware would boot
        return False
    if outcome.level == "disk" or after is None:
        return True
    return any(before.get(name) != after.get(name) for name in BOOT_FACTS)


def boot_check(image: Path, outcome: RecoveryOutcome, before: dict | None, after: dict | None,
               console_log: Path | None) -> BootCheck:
    """Boot the recovered disk when the rule says so; its verdict, seconds and console's last lines."""
    if not needs_boot(outcome, before, after):
        return NOT_BOOTED
    if after is None or not image.exists():
        return BootCheck(False, details={"verdict": "no-disk", "why": "no disk came back to boot"})
    if console_log is not None:
        console_log.parent.mkdir(parents=True, exist_ok=True)
    result = boot(image, timeout_s=TIMEOUT_S, console_log=console_log)
    details = result.to_json()
    details.pop("image")  # the cell's scratch disk, gone with the cell
    if console_log is not None:
        details["console_log"] = console_log.name
    return BootCheck(result.booted, result.seconds, details)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
