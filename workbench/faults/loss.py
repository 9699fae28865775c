"""Disk loss: the source disk is gone (stolen, dead, dropped). Its image file is deleted for real."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from . import raw
from .records import FaultRecord, timestamp


def lose_disk(image: Path, *, seed: int = 0, at: datetime | None = None) -> FaultRecord:
    """Delete the image file; refused while it is attached (a mounted disk cannot vanish cleanly here)."""
    real = raw.require_detached(image)
    info = real.stat()
    real.unlink()
    return FaultRecord(
        kind="disk-loss", seed=seed, time=timestamp(at), target=str(real),
        details={"size_bytes": info.st_size, "allocated_bytes": info.st_blocks * 512},
    )
