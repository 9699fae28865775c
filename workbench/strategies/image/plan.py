"""Which bytes of a disk to read, chunk by chunk (pure: ranges in, ranges out).

The rule: read everything that holds data in the image file, except inside
an ext4 filesystem, where only the blocks its bitmaps mark used are read.
Everything else is zeros: a hole in the image and in the restored disk.
"""

from __future__ import annotations

from dataclasses import dataclass

Range = tuple[int, int]  # (start, length) in disk bytes


@dataclass(frozen=True)
class Region:
    """How one area of the disk is read: 'ext4-bitmap' or 'raw'."""

    start: int
    size: int
    how: str
    partition: int | None = None

    def to_json(self) -> dict[str, object]:
        return {"start": self.start, "size": self.size, "how": self.how, "partition": self.partition}


def normalise(ranges: list[Range]) -> list[Range]:
    """Sorted, merged, without empty ranges."""
    merged: list[list[int]] = []
    for start, length in sorted(r for r in ranges if r[1] > 0):
        if merged and start <= merged[-1][0] + merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], start + length - merged[-1][0])
        else:
            merged.append([start, length])
    return [(s, n) for s, n in merged]


def intersect(a: list[Range], b: list[Range]) -> list[Range]:
    """Intersection of two normalised range lists."""
    out: list[Range] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][0] + a[i][1], b[j][0] + b[j][1])
        if lo < hi:
            out.append((lo, hi - lo))
        if a[i][0] + a[i][1] < b[j][0] + b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Range], cut: list[Range]) -> list[Range]:
    """``a`` minus ``cut`` (both normalised)."""
    out: list[Range] = []
    for start, length in a:
        pos, end = start, start + length
        for c_start, c_len in cut:
            c_end = c_start + c_len
            if c_end <= pos or c_start >= end:
                continue
            if c_start > pos:
                out.append((pos, c_start - pos))
            pos = max(pos, c_end)
        if pos < end:
            out.append((pos, end - pos))
    return out


def wanted_ranges(disk_size: int, data: list[Range], filesystems: dict[Range, list[Range]]) -> list[Range]:
    """Bytes to read: file data extents, minus each filesystem's area, plus its used blocks.

    ``data``: where the image file holds data (SEEK_DATA); ``filesystems``:
    {(fs start, fs size): used byte ranges}.
    """
    data = normalise([(s, min(n, disk_size - s)) for s, n in data if s < disk_size])
    outside = subtract(data, normalise(list(filesystems)))
    inside = normalise([r for used in filesystems.values() for r in used])
    return normalise(outside + intersect(data, inside))


def per_chunk(ranges: list[Range], chunk_size: int) -> dict[int, list[Range]]:
    """Split normalised ranges at chunk boundaries: {chunk index: [(disk offset, length)]}."""
    chunks: dict[int, list[Range]] = {}
    for start, length in ranges:
        pos, end = start, start + length
        while pos < end:
            index = pos // chunk_size
            piece_end = min(end, (index + 1) * chunk_size)
            chunks.setdefault(index, []).append((pos, piece_end - pos))
            pos = piece_end
    return chunks


def describe_span(start: int, length: int, regions: list[dict]) -> str:
    """'disk bytes A-B (partition 2 root)' for damage reports."""
    names = []
    for region in regions:
        if region["start"] < start + length and start < region["start"] + region["size"]:
            label = region.get("label") or (f"partition {region['partition']}" if region.get("partition")
                                            else "outside partitions")
            if label not in names:
                names.append(label)
    where = ", ".join(names) or "outside partitions"
    return f"disk bytes {start}-{start + length} ({where})"
