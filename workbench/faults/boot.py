"""Boot-code wipe: bytes 0-439 of sector 0, where a BIOS boot loader's first stage lives.

A wipe writes zeros, which is what the real events leave (a tool that
"cleans" the MBR, a stray ``dd``). Random garbage is not offered: it cannot be
told from someone else's boot code. The partition entries (446-509) and the
signature are left alone, so only the boot code is lost. If the area already
held zeros, the wipe changes nothing, and the record says so.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..disk.bootcode import BOOT_CODE_SIZE
from . import raw
from .records import ByteRange, FaultRecord, timestamp


def wipe_boot_code(image: Path, *, seed: int = 0, at: datetime | None = None) -> FaultRecord:
    real = raw.require_detached(image)
    changed = raw.overwrite(real, 0, bytes(BOOT_CODE_SIZE))
    return FaultRecord(
        kind="boot-wipe", seed=seed, time=timestamp(at), target=str(real),
        ranges=[ByteRange(0, BOOT_CODE_SIZE, str(real), changed)],
        details={"changed": changed > 0, "changed_bytes": changed},
    )
