"""Boot-code wipe: bytes 0-439 of sector 0, where a BIOS boot loader's first stage lives.

Zeros are what a real wipe leaves (a tool that "cleans" the MBR, a stray
``dd``); ``fill="random"`` XORs random bytes instead. The partition entries
(446-509) and the signature are left alone, so only the boot code is lost.
If the area already held zeros a zero wipe changes nothing, and the record
says so.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..disk.bootcode import BOOT_CODE_SIZE
from ..errors import UsageError
from . import raw
from .records import ByteRange, FaultRecord, random_bytes, timestamp


def wipe_boot_code(image: Path, *, fill: str = "zero", seed: int = 0, at: datetime | None = None) -> FaultRecord:
    real = raw.require_detached(image)
    if fill == "zero":
        changed = raw.overwrite(real, 0, bytes(BOOT_CODE_SIZE))
    elif fill == "random":
        changed = raw.xor_region(real, 0, random_bytes("boot-wipe", seed, BOOT_CODE_SIZE))
    else:
        raise UsageError(f"unknown fill '{fill}': choose zero or random")
    return FaultRecord(
        kind="boot-wipe", seed=seed, time=timestamp(at), target=str(real),
        ranges=[ByteRange(0, BOOT_CODE_SIZE, str(real), changed)],
        details={"fill": fill, "changed": changed > 0, "changed_bytes": changed},
    )
