"""Verify: collect every problem (not just the first) and name what it affects.

Metadata-only mode reads the config, every index and snapshot file, and checks that every
chunk a snapshot names is indexed and that every indexed chunk lies inside an existing pack
(an unused one too: the next backup would store nothing for it). Full mode also reads
every indexed chunk back, decompresses it and checks its blake3 id; a damaged chunk is
reported with the files and snapshots that use it.
"""

from __future__ import annotations

import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from ...errors import DamageFound
from ..base import Damage, VerifyReport
from .repo import ChunkDamaged, Location, Repository, read_index_file

WORKERS = max(2, os.cpu_count() or 1)


def verify_repository(repo: Repository, *, metadata_only: bool = False) -> VerifyReport:
    report = VerifyReport()
    index: dict[bytes, Location] = {}
    for file in repo.index_files():
        try:
            index.update(read_index_file(file))
        except DamageFound as exc:
            report.damage.append(Damage("index", file.name, str(exc)))
    users: dict[bytes, list[tuple[str, str]]] = defaultdict(list)  # chunk -> [(snapshot, path)]
    for snap_id in repo.snapshot_ids():
        report.checked += 1
        try:
            snapshot = repo.read_snapshot(snap_id)
        except DamageFound as exc:
            report.damage.append(Damage("point", snap_id, str(exc), affects=(snap_id,)))
            continue
        chunks_of = {e["path"]: e["chunks"] for e in snapshot["tree"] if "chunks" in e}
        for entry in snapshot["tree"]:
            # a hard link's other names share the first name's chunks, and its damage
            for chunk_hex in chunks_of.get(entry.get("link_to", entry["path"]), ()):
                users[bytes.fromhex(chunk_hex)].append((snap_id, entry["path"]))
    pack_sizes = {pack: repo.pack_path(pack).stat().st_size for pack in repo.pack_ids()}
    bad = {chunk: "not in the index" for chunk in users if chunk not in index}
    for chunk, location in index.items():  # used or not: the next backup trusts every indexed chunk
        if location.pack not in pack_sizes:
            bad[chunk] = f"its pack {location.pack} is missing"
        elif location.offset + location.length > pack_sizes[location.pack]:
            bad[chunk] = f"its pack {location.pack} is truncated"
    if not metadata_only:
        by_pack: dict[str, list[tuple[bytes, Location]]] = defaultdict(list)
        for chunk, location in index.items():
            if chunk not in bad:
                by_pack[location.pack].append((chunk, location))
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="verify") as pool:
            for found in pool.map(lambda item: _check_pack(repo, *item), by_pack.items()):
                report.checked += len(by_pack.get(found[0], ()))
                bad.update(found[1])
    for chunk, detail in sorted(bad.items()):
        uses = users.get(chunk, [])
        if not uses:
            report.damage.append(Damage("chunk", chunk.hex(), f"{detail} (used by no snapshot)"))
            continue
        snaps = tuple(sorted({s for s, _ in uses}))
        report.damage.append(Damage("chunk", chunk.hex(), detail, affects=snaps))
        paths: dict[str, set[str]] = defaultdict(set)
        for snap_id, path in uses:
            paths[path].add(snap_id)
        for path, in_snaps in sorted(paths.items()):
            report.damage.append(Damage("file", path, f"chunk {chunk.hex()[:16]}: {detail}",
                                        affects=tuple(sorted(in_snaps))))
    return report


def _check_pack(repo: Repository, pack: str, chunks: list[tuple[bytes, Location]]) -> tuple[str, dict[bytes, str]]:
    bad: dict[bytes, str] = {}
    fd = os.open(repo.pack_path(pack), os.O_RDONLY | os.O_CLOEXEC)
    try:
        for chunk, location in sorted(chunks, key=lambda item: item[1].offset):
            try:
                repo.read_chunk(chunk, location, fd)
            except ChunkDamaged as damage:
                bad[chunk] = f"{damage.detail} in pack {pack} at offset {location.offset}"
    finally:
        os.close(fd)
    return pack, bad
