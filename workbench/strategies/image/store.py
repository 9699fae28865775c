"""The points in an image target directory: listing, reading, chains, half-written leftovers.

A target directory holds one ``<id>.wbimg`` file per point. A point is written
as ``.<id>.wbimg.partial`` and renamed only once complete and fsynced, so a
killed protect leaves a partial file that is never listed, and is removed by
the next protect. Ids sort in creation order (``0001-20261125T162200``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ...errors import UsageError
from . import format as fmt

PARTIAL_SUFFIX = fmt.SUFFIX + ".partial"


@dataclass
class PointFile:
    """A point's header, block map and stats, read and checked from its file."""

    path: Path
    header: dict[str, Any]
    entries: list[fmt.ChunkEntry]
    stats: dict[str, Any]
    data_start: int = 0
    _fd: int | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return self.header["id"]

    @property
    def parent(self) -> str | None:
        return self.header.get("parent")

    @property
    def time(self) -> datetime:
        return datetime.fromisoformat(self.header["time"])

    def open(self) -> None:
        """Open the file for reading chunks (before handing the point to worker threads)."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)

    def read_stored(self, entry: fmt.ChunkEntry) -> bytes:
        if self._fd is None:
            raise RuntimeError(f"{self.path.name} is not open")
        return os.pread(self._fd, entry.stored_len, entry.offset)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_point(path: Path) -> PointFile:
    """Open and check a point file's header, end record and block map; raises ImageDamaged."""
    name = path.name
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(1 << 20)
        header, data_start = fmt.decode_preamble(head, name)
        if len(head) < data_start:
            handle.seek(0)
            header, data_start = fmt.decode_preamble(handle.read(data_start), name)
        if size < data_start + fmt.END_SIZE:
            raise fmt.ImageDamaged(f"{name}: truncated before its end-of-image record")
        end = fmt.decode_end(os.pread(handle.fileno(), fmt.END_SIZE, size - fmt.END_SIZE), name)
        index = os.pread(handle.fileno(), end.index_len, end.index_offset)
    fmt.check_index(index, end, name)
    entries, stats = fmt.decode_index(index, end.chunk_count, name)
    return PointFile(path, header, entries, stats, data_start)


def point_paths(target: Path) -> list[Path]:
    """Complete point files, oldest first (partial files excluded)."""
    if not target.is_dir():
        return []
    return sorted(p for p in target.iterdir() if p.name.endswith(fmt.SUFFIX) and not p.name.startswith("."))


def partial_paths(target: Path) -> list[Path]:
    if not target.is_dir():
        return []
    return sorted(p for p in target.iterdir() if p.name.endswith(PARTIAL_SUFFIX))


def remove_partials(target: Path) -> list[Path]:
    """Delete half-written points left by an interrupted protect; return them."""
    removed = partial_paths(target)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def new_id(target: Path, now: datetime) -> str:
    existing = point_paths(target) + partial_paths(target)
    numbers = [int(p.name.lstrip(".").split("-", 1)[0]) for p in existing if p.name.lstrip(".")[:4].isdigit()]
    return f"{max(numbers, default=0) + 1:04d}-{now:%Y%m%dT%H%M%S}"


def path_of(target: Path, point_id: str) -> Path:
    return target / f"{point_id}{fmt.SUFFIX}"


def partial_path_of(target: Path, point_id: str) -> Path:
    return target / f".{point_id}{PARTIAL_SUFFIX}"


def load_all(target: Path) -> tuple[list[PointFile], list[tuple[Path, str]]]:
    """All readable points oldest first, and the unreadable ones with the reason."""
    good, bad = [], []
    for path in point_paths(target):
        try:
            good.append(read_point(path))
        except (fmt.ImageDamaged, OSError) as exc:
            bad.append((path, str(exc)))
    return good, bad


def resolve_id(points: list[PointFile], spec: str | None) -> PointFile:
    """'latest', None, or an id (or a unique prefix of one)."""
    if not points:
        raise UsageError("the target holds no image points: run 'workbench image protect' first")
    if spec in (None, "latest"):
        return points[-1]
    matches = [p for p in points if p.id == spec] or [p for p in points if p.id.startswith(spec)]
    if len(matches) != 1:
        known = ", ".join(p.id for p in points)
        raise UsageError(f"no single point '{spec}' in the target: choose one of {known}, or 'latest'")
    return matches[0]


def chain(points: list[PointFile], point: PointFile) -> list[PointFile]:
    """The point and its ancestors, newest first; a missing ancestor ends the chain early."""
    by_id = {p.id: p for p in points}
    out = [point]
    while out[-1].parent is not None and out[-1].parent in by_id:
        out.append(by_id[out[-1].parent])
    return out


def dependants(points: list[PointFile], point_id: str) -> list[str]:
    return [p.id for p in points if p.parent == point_id]


@dataclass(frozen=True)
class Located:
    """Where a chunk of a point really lives: ``owner`` None means a hole, or (with ``missing``) lost."""

    owner: PointFile | None
    entry: fmt.ChunkEntry
    expected: bytes  # the blake3 the point recorded for the chunk ("" for a hole)
    missing: str = ""  # why the chunk cannot be found (an ancestor is gone)


def locate(point_chain: list[PointFile], index: int) -> Located:
    """Follow PARENT references down the chain to the file that stores chunk ``index``."""
    first = point_chain[0].entries[index]
    if first.kind == fmt.HOLE:
        return Located(None, first, b"")
    for point in point_chain:
        entry = point.entries[index] if index < len(point.entries) else fmt.ChunkEntry(fmt.HOLE)
        if entry.kind == fmt.DATA:
            return Located(point, entry, first.digest)
        if entry.kind == fmt.HOLE:
            return Located(None, entry, first.digest, f"{point.id} has no data for it")
    parent = point_chain[-1].parent
    return Located(None, first, first.digest, f"its ancestor {parent} is missing")
