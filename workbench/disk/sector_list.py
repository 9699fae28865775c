"""The bad-sector list of a disk image: which 512-byte sectors fail to read, stored beside the image.

A disk image ``pc.img`` with bad sectors has a file ``pc.img.badsectors.json``
beside it. Whoever opens the disk afterwards serves it through the sector
server (:mod:`workbench.disk.served`), so its reads of those sectors fail with
EIO. The file is small JSON, written atomically::

    {"format": "workbench-bad-sectors", "version": 1, "sector_bytes": 512,
     "ranges": [{"first_sector": 20488, "sectors": 8}, ...]}

Ranges are kept sorted and merged. A write that covers a bad sector whole
clears it (the drive remaps it: see :meth:`BadSectors.written`), and the
server saves the shorter list back, so the sector stays good the next time
the disk is opened. Everything here but ``load``/``save`` is pure.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import durable
from ..errors import UsageError
from ..jsonfile import read_json

SECTOR_BYTES = 512
FORMAT = "workbench-bad-sectors"
VERSION = 1
SUFFIX = ".badsectors.json"


@dataclass(frozen=True, order=True)
class SectorRange:
    """``sectors`` consecutive 512-byte sectors from ``first_sector`` (counted from the start of the image)."""

    first_sector: int
    sectors: int

    @property
    def end_sector(self) -> int:
        return self.first_sector + self.sectors

    @property
    def offset(self) -> int:
        return self.first_sector * SECTOR_BYTES

    @property
    def length(self) -> int:
        return self.sectors * SECTOR_BYTES


@dataclass(frozen=True)
class BadSectors:
    """An immutable, sorted, merged set of bad sector ranges, asked about in bytes (as reads come)."""

    ranges: tuple[SectorRange, ...] = ()

    @classmethod
    def of(cls, ranges: Iterable[SectorRange]) -> BadSectors:
        """Sort and merge overlapping or touching ranges; drop empty ones."""
        merged: list[SectorRange] = []
        for rng in sorted(r for r in ranges if r.sectors > 0):
            if rng.first_sector < 0:
                raise UsageError(f"a bad sector range cannot start before the disk: {rng}")
            if merged and rng.first_sector <= merged[-1].end_sector:
                last = merged.pop()
                rng = SectorRange(last.first_sector, max(last.end_sector, rng.end_sector) - last.first_sector)
            merged.append(rng)
        return cls(tuple(merged))

    @property
    def sectors(self) -> int:
        return sum(r.sectors for r in self.ranges)

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def overlaps(self, offset: int, length: int) -> bool:
        """Whether the bytes ``[offset, offset + length)`` touch a bad sector (a read of them fails)."""
        if length <= 0 or not self.ranges:
            return False
        first, last = offset // SECTOR_BYTES, (offset + length - 1) // SECTOR_BYTES
        # The last range starting at or before ``first``, and the one after it: ranges are disjoint and sorted.
        index = bisect.bisect_right(self.ranges, first, key=_start) - 1
        candidates = self.ranges[max(index, 0):index + 2]
        return any(r.first_sector <= last and first < r.end_sector for r in candidates)

    def written(self, offset: int, length: int) -> BadSectors:
        """The list after a write of ``[offset, offset + length)``: bad sectors it covers whole are cleared.

        This is what a drive does with a pending sector: a write of the whole
        sector remaps it, and it reads back good from then on. A write that
        covers only part of a bad sector cannot be done (the drive would have to
        read the rest of the sector first): see :meth:`partly_covers`.
        """
        first = -(-offset // SECTOR_BYTES)
        end = (offset + length) // SECTOR_BYTES
        if end <= first or not self.overlaps(first * SECTOR_BYTES, (end - first) * SECTOR_BYTES):
            return self
        kept: list[SectorRange] = []
        for rng in self.ranges:
            if rng.end_sector <= first or end <= rng.first_sector:
                kept.append(rng)
                continue
            if rng.first_sector < first:
                kept.append(SectorRange(rng.first_sector, first - rng.first_sector))
            if end < rng.end_sector:
                kept.append(SectorRange(end, rng.end_sector - end))
        return BadSectors(tuple(kept))

    def partly_covers(self, offset: int, length: int) -> bool:
        """Whether a write of these bytes covers part, but not all, of some bad sector."""
        head, tail = offset % SECTOR_BYTES, (offset + length) % SECTOR_BYTES
        return bool((head and self.overlaps(offset - head, SECTOR_BYTES))
                    or (tail and self.overlaps(offset + length - tail, SECTOR_BYTES)))

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "sector_bytes": SECTOR_BYTES,
                "ranges": [{"first_sector": r.first_sector, "sectors": r.sectors} for r in self.ranges]}

    @classmethod
    def from_json(cls, data: dict, *, source: str = "the bad-sector list") -> BadSectors:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise UsageError(f"{source} is not a bad-sector list (no \"format\": \"{FORMAT}\")")
        if data.get("version") != VERSION or data.get("sector_bytes") != SECTOR_BYTES:
            raise UsageError(f"{source} has version {data.get('version')} and {data.get('sector_bytes')}-byte "
                             f"sectors; this workbench reads version {VERSION} with {SECTOR_BYTES}-byte sectors")
        try:
            return cls.of(SectorRange(int(r["first_sector"]), int(r["sectors"])) for r in data["ranges"])
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"{source} has a malformed range: {exc}") from exc


def _start(rng: SectorRange) -> int:
    return rng.first_sector


def list_path(image: Path) -> Path:
    """Where an image's bad-sector list lives: beside it, named after it."""
    return Path(image).with_name(Path(image).name + SUFFIX)


def load(path: Path) -> BadSectors:
    """Read a bad-sector list; a missing file is an empty list (the disk has no bad sectors)."""
    data = read_json(path, "bad-sector list", fix="remove it, and the disk reads without bad sectors")
    return BadSectors() if data is None else BadSectors.from_json(data, source=str(path))


def save(path: Path, bad: BadSectors) -> None:
    """Write the list atomically (a reader sees the old list or the new one, never half of one)."""
    write_json_atomic(path, bad.to_json())


def write_json_atomic(path: Path, data: dict) -> None:
    """Replace ``path`` durably with ``data`` as JSON."""
    durable.write_atomic(Path(path), (json.dumps(data, indent=1) + "\n").encode())
