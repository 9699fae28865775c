"""Forget snapshots and prune chunks no snapshot uses, so their space is really freed.

Prune order, chosen so a SIGKILL at any step loses no committed snapshot:

1. copy the still-used blobs of partly-used packs into new packs (durable in ``packs/``);
2. write one new index naming every used chunk (durable);
3. delete the old index files;
4. delete the packs that are no longer named (old partly-used ones and unused ones).

Until step 2 is durable the old indexes still name every chunk; after it the new one does.
Packs named by no index (a killed backup's or prune's leftovers) are removed at step 4.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from ...durable import fsync_dir
from ..base import ProgressCallback
from .repo import Location, PackWriter, Repository, undone_on_failure
from .retention import KeepPolicy, RetentionPlan, plan_retention


@dataclass
class PruneResult:
    packs_deleted: int = 0
    packs_rewritten: int = 0
    chunks_removed: int = 0
    bytes_freed: int = 0  # footprint before minus after


def snapshot_times(repo: Repository) -> list[tuple[str, datetime]]:
    points = []
    for snap_id in repo.snapshot_ids():
        points.append((snap_id, datetime.fromisoformat(repo.read_header(snap_id)["time"])))
    return points


def forget(repo: Repository, policy: KeepPolicy, progress: ProgressCallback | None = None) -> RetentionPlan:
    """Delete the snapshots ``policy`` does not keep; ``progress(deleted, to delete)`` follows each unlink."""
    with repo.lock():
        plan = plan_retention(snapshot_times(repo), policy)
        for done, snap_id in enumerate(plan.forget, 1):
            (repo.path / "snapshots" / snap_id).unlink(missing_ok=True)
            if progress is not None:
                progress(done, len(plan.forget))
        fsync_dir(repo.path / "snapshots")
    return plan


def prune(repo: Repository, progress: ProgressCallback | None = None) -> PruneResult:
    """Free the chunks no snapshot uses, in the order of the module docstring.

    ``progress(steps done, steps)`` counts one step per pack copied from, then the new index,
    then each old index file and each pack deleted.
    """
    before = repo.footprint()
    result = PruneResult()
    with repo.lock():
        used: set[bytes] = set()
        for snap_id in repo.snapshot_ids():
            for entry in repo.read_snapshot(snap_id)["tree"]:
                used.update(bytes.fromhex(c) for c in entry.get("chunks", ()))
        old_index_files = repo.index_files()
        index = repo.load_index()
        by_pack: dict[str, list[tuple[bytes, Location]]] = defaultdict(list)
        for chunk, location in index.items():
            by_pack[location.pack].append((chunk, location))
        keep_entries = {pack: chunks for pack, chunks in by_pack.items() if all(c in used for c, _ in chunks)}
        doomed = [pack for pack in repo.pack_ids() if pack not in keep_entries]  # packs written here are named
        steps = len(by_pack) - len(keep_entries) + 1 + len(old_index_files) + len(doomed)
        done = 0

        def step() -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, steps)

        writer = PackWriter(repo)
        with undone_on_failure(writer, repo.path, "pruning"):
            for pack, chunks in by_pack.items():
                if pack in keep_entries:
                    continue
                live = [(c, loc) for c, loc in chunks if c in used]
                result.chunks_removed += len(chunks) - len(live)
                result.packs_rewritten += 1 if live else 0
                for chunk, location in sorted(live, key=lambda item: item[1].offset):
                    stored = _read_stored(repo, location)
                    writer.add(chunk, stored, location.raw_length, location.codec)
                step()
            new_index = writer.commit(carried=keep_entries)
            step()
        for file in old_index_files:
            if file != new_index:  # same content gives the same name
                file.unlink(missing_ok=True)
            step()
        fsync_dir(repo.path / "index")
        for pack in doomed:
            if pack not in writer.entries:  # a pack written here under an old one's name is the new one
                repo.pack_path(pack).unlink(missing_ok=True)
                result.packs_deleted += 1
            step()
        fsync_dir(repo.path / "packs")
    result.bytes_freed = before - repo.footprint()
    return result


def _read_stored(repo: Repository, location: Location) -> bytes:
    """The blob as stored (still compressed): copying needs no recompression."""
    with open(repo.pack_path(location.pack), "rb") as pack:
        pack.seek(location.offset)
        return pack.read(location.length)
