"""``BackupStrategy``: the versioned, deduplicating backup behind the common Strategy protocol.

Every snapshot is a complete tree (as in restic and borg), so any one restores on its own.
The mode decides which earlier snapshot serves for change detection and what is re-read:

- ``full``: no base; every file is read and hashed (chunks already stored are still
  deduplicated, as restic does);
- ``incremental``: the base is the newest snapshot; files whose size, mtime, inode and
  ctime match it are taken from it unread (``reread=True`` hashes them anyway);
- ``differential``: the base is the newest *full* snapshot, so each differential reads
  everything changed since that full. ``stats.changed_bytes`` shows the difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ...bulk import no_cycle_collection
from ...errors import UsageError
from ..base import Listed, ProgressCallback, RestorePoint, RestoreReport, Scope, SourceKind, VerifyReport
from .check import verify_repository
from .create import BackupRequest, take_snapshot
from .prune import PruneResult, forget, prune
from .repo import Repository
from .restore import raise_if_damaged, restore_tree
from .retention import KeepPolicy, RetentionPlan
from .snapshot import Selection, listed_entries


class BackupStrategy:
    name = "backup"
    scope: Scope = "folders"
    source_kind: SourceKind = "tree"

    def __init__(self, mode: str = "incremental", selection: Selection | None = None, reread: bool = False) -> None:
        if mode not in ("full", "incremental", "differential"):
            raise UsageError(f"unknown backup mode '{mode}': use full, incremental or differential")
        self.mode = mode
        self.selection = selection or Selection()
        self.reread = reread

    def protect(
        self, source: Path, target: Path, *, now: datetime, progress: ProgressCallback | None = None
    ) -> RestorePoint:
        if not Path(source).is_dir():
            raise UsageError(f"the source '{source}' does not exist or is not a directory: pass the folder to protect")
        repo = Repository.open_or_create(target)
        request = BackupRequest(source, now, self.mode, self.selection, self.reread)
        result = take_snapshot(repo, request, progress)
        return _point(repo, result.snapshot_id, result.snapshot)

    def points(self, target: Path) -> list[RestorePoint]:
        return _points(Repository.open(target))

    def resolve_point(self, target: Path, point_id: str) -> str:
        """Full snapshot id for 'latest', a full id or a unique prefix."""
        return _resolve(Repository.open(target), point_id)

    def restore(self, target: Path, point_id: str, destination: Path, *, path: str = "",
                force: bool = False, progress: ProgressCallback | None = None) -> RestoreReport:
        """Restore a snapshot (or the file/folder ``path`` of it) with the tree at ``destination``'s top.

        ``destination`` must be new or empty unless ``force`` (then what is there is written over).
        """
        return self.restore_paths(target, point_id, [path], destination, force=force, progress=progress)

    def listing(self, target: Path, point_id: str) -> list[Listed]:
        """The snapshot's tree as it records it: no pack is read, and every file carries its blake3
        (but in snapshots written before the hash was kept)."""
        repo = Repository.open(target)
        tree = repo.read_snapshot(self.resolve_point(target, point_id))["tree"]
        return listed_entries(tree)

    def restore_paths(self, target: Path, point_id: str, paths: Sequence[str], destination: Path, *,
                      force: bool = False, progress: ProgressCallback | None = None) -> RestoreReport:
        """Only ``paths`` of the snapshot (each with what lies below it), at their relative paths under
        ``destination``; the same damage rule as a whole restore."""
        repo = Repository.open(target)
        snap_id = _resolve(repo, point_id)  # with the same repo, so 'latest' is read once (the repo keeps it)
        if not paths:
            return RestoreReport(snap_id)
        with no_cycle_collection():  # parsing the tree, as restoring it
            snapshot = repo.read_snapshot(snap_id)
            outcome = restore_tree(repo, snapshot["tree"], destination, paths, force=force, progress=progress)
        raise_if_damaged(outcome, snap_id)
        return RestoreReport(snap_id, bytes_written=outcome.bytes_written, files=outcome.files, holes=outcome.warnings)

    def verify(self, target: Path, *, metadata_only: bool = False) -> VerifyReport:
        return verify_repository(Repository.open(target), metadata_only=metadata_only)

    def footprint(self, target: Path) -> int:
        return Repository.open(target).footprint()

    def forget(self, target: Path, policy: KeepPolicy, progress: ProgressCallback | None = None) -> RetentionPlan:
        return forget(Repository.open(target), policy, progress)

    def prune(self, target: Path, progress: ProgressCallback | None = None) -> PruneResult:
        return prune(Repository.open(target), progress)


def _points(repo: Repository, *, checked: bool = True) -> list[RestorePoint]:
    """Every snapshot as a point, oldest first. ``checked``: each read whole, so a damaged one is
    named (a listing a user asks for); else from their headers only (``Repository.read_header``)."""
    read = repo.read_snapshot if checked else repo.read_header
    points = [_point(repo, snap_id, read(snap_id)) for snap_id in repo.snapshot_ids()]
    return sorted(points, key=lambda p: (p.time, p.extra["created_ns"]))


def _resolve(repo: Repository, point_id: str) -> str:
    if point_id == "latest":
        points = _points(repo, checked=False)  # the chosen one is read whole, and checked, by its user
        if not points:
            raise UsageError(f"the repository {repo.path} has no snapshots yet: run 'workbench backup protect'")
        return points[-1].id
    matches = [s for s in repo.snapshot_ids() if s.startswith(point_id)] if point_id else []
    if len(matches) != 1:
        problem = "no snapshot" if not matches else "more than one snapshot"
        raise UsageError(f"{problem} matches '{point_id}' in {repo.path}: see 'workbench backup points'")
    return matches[0]


def _point(repo: Repository, snap_id: str, snapshot: dict) -> RestorePoint:
    """``stored_bytes``: new pack bytes plus the snapshot file itself."""
    stats = snapshot["stats"]
    snapshot_bytes = (repo.path / "snapshots" / snap_id).stat().st_size
    return RestorePoint(
        id=snap_id,
        time=datetime.fromisoformat(snapshot["time"]),
        kind=snapshot["kind"],
        parent=snapshot["parent"],
        stored_bytes=stats["stored_bytes"] + snapshot_bytes,
        extra={
            "created_ns": snapshot["created_ns"],
            "files": stats["files"],
            "bytes": stats["bytes"],
            "changed_files": stats["changed_files"],
            "changed_bytes": stats["changed_bytes"],
            "new_chunks": stats["new_chunks"],
            "seconds": stats["seconds"],
            "selection": snapshot["selection"],
            "read_errors": stats.get("read_errors", 0),  # files and folders the disk could not read, left out
            "unreadable": snapshot.get("unreadable", []),
        },
    )
