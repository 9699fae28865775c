"""Verify every point of an image target: every stored chunk is read, decompressed and hashed.

Damage is reported per chunk, with the disk byte range and partition it
covers and every point that depends on it (the point storing it and the
incrementals referring to it). Unreadable point files (truncated, bad
header or block map) are reported as damaged points.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..base import Damage, VerifyReport
from . import format as fmt
from .plan import describe_span
from .restore import check_chunk
from .store import Located, PointFile, chain, load_all, locate


def verify_target(target: Path, *, workers: int = 2) -> VerifyReport:
    points, unreadable = load_all(target)
    report = VerifyReport()
    for path, reason in unreadable:
        report.damage.append(Damage("point", path.name, reason))
    chains = {p.id: chain(points, p) for p in points}
    for point in points:
        point.open()
    jobs: list[tuple[PointFile, int, Located]] = []
    for point in points:
        for index, entry in enumerate(point.entries):
            if entry.kind == fmt.DATA:
                jobs.append((point, index, Located(point, entry, entry.digest)))
            elif entry.kind == fmt.PARENT:
                loc = locate(chains[point.id], index)
                if loc.missing or (loc.owner is not None and loc.entry.digest != loc.expected):
                    reason = loc.missing or "its parent's chunk has a different checksum"
                    jobs.append((point, index, Located(None, entry, entry.digest, reason)))
    local = threading.local()

    def check(job: tuple[PointFile, int, Located]) -> tuple[PointFile, int, str | None]:
        import zstandard

        point, index, loc = job
        if loc.missing:
            return point, index, loc.missing
        decompressor = getattr(local, "d", None) or zstandard.ZstdDecompressor()
        local.d = decompressor
        _, damage, _ = check_chunk(loc, index, point.header["disk_size"], point.header["chunk_size"], decompressor)
        return point, index, damage.reason if damage else None

    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify") as pool:
            for point, index, problem in pool.map(check, jobs):
                report.checked += 1
                if problem is not None:
                    report.damage.append(_chunk_damage(points, chains, point, index, problem))
    finally:
        for point in points:
            point.close()
    return report


def _chunk_damage(points: list[PointFile], chains: dict[str, list[PointFile]], owner: PointFile,
                  index: int, reason: str) -> Damage:
    header = owner.header
    start, length = fmt.chunk_span(index, header["disk_size"], header["chunk_size"])
    affected = [p.id for p in points if p is owner or (
        p.entries[index].kind == fmt.PARENT and locate(chains[p.id], index).owner is owner)]
    labels = [r.get("label", "") for r in header.get("regions", [])
              if r["start"] < start + length and start < r["start"] + r["size"]]
    return Damage("chunk", f"{owner.id} chunk {index}",
                  f"{describe_span(start, length, header.get('regions', []))}: {reason}",
                  tuple(affected + labels))
