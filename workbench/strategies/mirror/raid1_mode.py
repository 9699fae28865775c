"""``raid1``, the mirror mode where the protected filesystem itself lives on a btrfs pair.

Nothing is copied from a source at every run. The protected filesystem lives on
the btrfs pair in the target directory. The experiment engine mounts the pair
(``raid1.mounted_pair(target)``) and builds the workload directly on it;
``protect`` is the way in for an existing tree: it creates the pair if needed
and copies the tree onto it, after which the pair *is* the protected
filesystem. Its point is the pair itself, "now": its time is when the pair was
last known in step (``record.stamp_in_step``: each protect, and every
simulated hour in an experiment).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ...disk import locks
from ...disk.targets import check_destination
from ..base import Damage, Listed, ProgressCallback, RestorePoint, RestoreReport, Scope, SourceKind, VerifyReport
from . import raid1, record, tree
from .listing import copy_paths, list_tree
from .strategies import POINT, check_point, read_all, restore_copy
from .sync import sync_tree


class Raid1Strategy:
    """``raid1``: a btrfs raid1 pair in the target directory holds the protected filesystem."""

    name = "raid1"
    scope: Scope = "filesystem"
    source_kind: SourceKind = "tree"
    variant = ""

    def __init__(self, half_bytes: int = 256 << 20) -> None:
        self.half_bytes = half_bytes

    @locks.writing("raid1 pair")
    def protect(self, source: Path, target: Path, *, now: datetime,
                progress: ProgressCallback | None = None) -> RestorePoint:
        if not all(image.exists() for image in raid1.halves(target)):
            raid1.create_pair(target, self.half_bytes)
        with raid1.mounted_pair(target) as pair:
            result = sync_tree(source, pair.mountpoint, progress=progress, mode="raid1")
            size = raid1.capacity(pair.mountpoint)
        record.stamp_in_step(target, now)
        return RestorePoint(POINT, now, "raid1", stored_bytes=result.bytes_copied, extra={
            **result.to_json(), "raw_bytes": size.raw_bytes, "usable_bytes": size.usable_bytes})

    def points(self, target: Path) -> list[RestorePoint]:
        """The pair, "now", at the time it was last stamped in step (a pair never stamped: its halves' mtime)."""
        present = [image for image in raid1.halves(target) if image.exists()]
        if not present:
            return []
        when = record.in_step_at(target)
        if when is None:  # made outside 'protect' and the experiment (a pair built by hand)
            when = datetime.fromtimestamp(max(image.stat().st_mtime for image in present)).astimezone()
        return [RestorePoint(POINT, when, "raid1", extra={"halves": [image.name for image in present]})]

    def restore(self, target: Path, point_id: str, destination: Path, *, force: bool = False) -> RestoreReport:
        check_point(point_id)
        check_destination(destination, force=force)  # before mounting anything
        with raid1.mounted_pair(target, lost=raid1.missing_half(target), readonly=True, degrade=True) as pair:
            return restore_copy(pair.mountpoint, point_id, destination, force)

    def listing(self, target: Path, point_id: str) -> list[Listed]:
        """The pair's filesystem, mounted read-only (degraded when a half is gone)."""
        check_point(point_id)
        with raid1.mounted_pair(target, lost=raid1.missing_half(target), readonly=True,
                                degrade=True) as pair:
            return list_tree(pair.mountpoint)

    def restore_paths(self, target: Path, point_id: str, paths: Sequence[str], destination: Path, *,
                      force: bool = False) -> RestoreReport:
        check_point(point_id)
        check_destination(destination, force=force)  # before mounting anything
        with raid1.mounted_pair(target, lost=raid1.missing_half(target), readonly=True,
                                degrade=True) as pair:
            return copy_paths(pair.mountpoint, paths, destination, point_id=POINT, force=force)

    def verify(self, target: Path) -> VerifyReport:
        """A scrub: btrfs reads both copies of every block and repairs a bad one from the good one.

        With a half missing, or no longer a member (the pair mounts only without it), there is no
        second copy to scrub against: that half is reported, and what is left is read.
        """
        lost = raid1.missing_half(target)
        report = VerifyReport()
        with raid1.mounted_pair(target, lost=lost, readonly=lost is not None, degrade=True) as pair:
            if pair.left_out is not None:
                why = "missing" if lost is not None else "no longer a member of the pair (its superblock)"
                report.damage.append(Damage("disk", raid1.HALVES[pair.left_out], f"this half is {why}: "
                                            "mounted degraded"))
                readable = read_all(pair.mountpoint)  # no second copy to scrub against: read what is left
                files = tree.scan(pair.mountpoint, exclude_top=record.LEFT_OUT, xattrs=False).values()
                report.checked = sum(-(-e.size // 4096) for e in files if e.kind == "f")  # 4 KiB blocks, as scrub
                report.damage += readable.damage
                return report
            scrubbed = raid1.scrub(pair.mountpoint)
        report.checked = scrubbed.scrubbed_bytes // 4096
        for kind, count in sorted(scrubbed.errors.items()):
            report.damage.append(Damage("blocks", kind, f"{count} found; corrected {scrubbed.corrected}, "
                                        f"uncorrectable {scrubbed.uncorrectable}"))
        return report

    def footprint(self, target: Path) -> int:
        return sum(image.stat().st_blocks * 512 for image in raid1.halves(target) if image.exists())
