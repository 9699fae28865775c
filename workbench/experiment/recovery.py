"""Recovery as a user of each strategy can do it, from what a user can see.

Its inputs are ``user_view.WhatTheUserSees``, gathered by ``user_view.look``: when the damage was
noticed, the disk as the user meets it, the live files as they read, the ransom note, and the
strategy's points, verify output and listings. Never the ground truth, nor the faults' records.
It never branches on a strategy's or a scenario's name: it only uses what a protection offers
(``recoverable.Recoverable``).

- **disk-level damage** (the disk is gone, or no longer has its partitions, boot code or a
  mountable root, or it reported itself failing): the newest usable point is restored onto a
  blank disk which is swapped in; with no point, the user tries the disk's own repairs (the
  backup GPT, a backup superblock).
- **file-level damage**: the user compares the live tree with the listings of the points, newest
  first, and restores only what is missing or damaged, path by path (``restore_plan`` says what
  and from which point); never a whole point. A point is trusted when verify found no damage in
  it and its listing shows no ransomware; when none is, the user takes what there is. Then the
  ransomware's leftovers are cleared.

Content is compared by the listing's hash when the strategy keeps one (our backup keeps a blake3
per file); otherwise the point's copies of the files in question are restored into scratch space
and read, as a user would copy them out and compare.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..disk.repair import rebuild_gpt_from_backup, repair_from_backup_superblock
from ..errors import WorkbenchError
from ..faults.ransomware import EXTENSION
from ..strategies.base import RestorePoint
from .machine import Machine
from .recoverable import Recoverable
from .restore_plan import Listing, Take, encrypted, is_ransom_name, plan_restores, shows_ransomware
from .user_view import CONTENT_HASH, LiveTree, PointsAsSeen, WhatTheUserSees, content_hash, knows_hash, look


@dataclass
class RecoveryOutcome:
    rto_s: float = 0.0
    level: str = ""  # "disk" or "files"
    point_id: str | None = None
    point_time: datetime | None = None
    damage_detected: bool = False  # the strategy's own verify found damage
    files_restored: int = 0
    actions: list[str] = field(default_factory=list)
    restored: list[Take] = field(default_factory=list)  # a file-level recovery's restores, path by path

    def to_details(self) -> dict[str, Any]:
        """What the cell's details keep of the recovery: its level, point, actions and what came from where."""
        return {"level": self.level, "point": self.point_id, "actions": self.actions,
                "restored": [take.to_json() for take in self.restored]}


def recover(machine: Machine, protection: Recoverable, *, disk_size: int, noticed_at: datetime,
            disk_failing: bool = False) -> RecoveryOutcome:
    """Bring the machine back as well as this protection allows; time it (RTO).

    The whole disk is restored onto a new one when it no longer works, or when the
    user saw it failing (``disk_failing``: it still mounts, but nobody keeps it).
    The RTO counts every step but the strategy's verify.
    """
    outcome = RecoveryOutcome()
    protection.detach()
    machine.unmount()
    started = time.perf_counter()
    seen = look(machine, protection, noticed_at=noticed_at, disk_failing=disk_failing)
    outcome.actions.append(f"noticed the damage at {seen.noticed_at.isoformat()}"
                           + (": the disk reports itself failing" if seen.disk.failing else ""))
    outcome.damage_detected = seen.points.damage_found
    outcome.actions += seen.points.verify_findings
    if seen.live is None:
        outcome.level = "disk"
        _recover_disk(machine, protection, seen, disk_size, outcome)
    else:
        outcome.level = "files"
        _recover_files(protection, seen.live, seen.points, outcome)
    machine.unmount()
    outcome.rto_s = time.perf_counter() - started - seen.points.verify_s
    return outcome


def _recover_disk(machine: Machine, protection: Recoverable, seen: WhatTheUserSees, disk_size: int,
                  outcome: RecoveryOutcome) -> None:
    """The newest clean point that restores; failing that, what can be rescued from a damaged one."""
    tries = [(p, False) for p in seen.points.clean] + [(p, True) for p in seen.points.damaged[:1]]
    for point, rescue in tries:
        new_disk = machine.image.with_name(machine.image.stem + "-restored.img")
        try:
            restored = protection.rebuild_disk(point, disk_size, new_disk, rescue=rescue)
        except WorkbenchError as exc:
            outcome.actions.append(f"restoring point {point.id} failed: {exc}")
            new_disk.unlink(missing_ok=True)
            continue
        machine.replace_with(restored)
        outcome.point_id, outcome.point_time = point.id, point.time
        how = "rescued what was readable from damaged point" if rescue else "restored point"
        outcome.actions.append(f"{how} {point.id} onto a new disk and swapped it in")
        return
    if seen.disk.present:
        for repair in (rebuild_gpt_from_backup, repair_from_backup_superblock):
            try:
                result = repair(machine.image)
                outcome.actions.append(f"{repair.__name__}: {result}")
            except WorkbenchError as exc:
                outcome.actions.append(f"{repair.__name__} failed: {exc}")
    else:
        outcome.actions.append("the disk is gone and nothing was kept to rebuild it from")


def _recover_files(protection: Recoverable, live: LiveTree, points: PointsAsSeen, outcome: RecoveryOutcome) -> None:
    rescue = not points.clean and bool(points.damaged)
    candidates = list(points.clean) or list(points.damaged[:1])
    sources = _Sources(points, candidates, outcome)
    compare = _Comparer(protection, live, rescue)
    plan = plan_restores(live, sources, compare)
    listed = next(sources(), None)
    if listed is None:
        outcome.actions.append("no point to restore from")
        return
    by_point: dict[str, list[Take]] = {}
    for take in plan:
        by_point.setdefault(take.point.id, []).append(take)
    for takes in by_point.values():  # one targeted restore per point
        point, why = takes[0].point, ", ".join(f"{len(t.paths)} {t.why}" for t in takes)
        try:
            report = protection.restore_paths(point, [p for t in takes for p in t.paths], live.root, rescue=rescue)
        except WorkbenchError as exc:
            outcome.actions.append(f"restoring path(s) from point {point.id} ({why}) failed: {exc}")
            continue
        for old, new in (move for t in takes for move in t.moves):  # a renamed file's good copy: its live name
            if os.path.lexists(live.root / old):
                os.replace(live.root / old, live.root / new)
        outcome.restored += takes
        outcome.files_restored += report.files
        outcome.actions.append(f"restored path(s) from point {point.id} ({why}): {report.files} file(s)")
    used = [take.point for take in outcome.restored]
    point = max(used, key=lambda p: p.time) if used else listed[0]
    outcome.point_id, outcome.point_time = point.id, point.time
    if not used:
        outcome.actions.append(f"the live files agree with point {point.id}: nothing to restore")
    trusted = bool(used) and all(not shows_ransomware(points.listing(p)) for p in used)
    cleared = _clear_ransom_leftovers(live, outcome.restored, trusted)
    if cleared:
        outcome.actions.append(f"removed {cleared} ransomware leftover(s)")


class _Sources:
    """The points the user looks at, newest first, each listed when first needed: the trusted ones
    (no ransomware in sight), or, when none is, every one. A point that cannot be listed is passed over."""

    def __init__(self, points: PointsAsSeen, candidates: list[RestorePoint], outcome: RecoveryOutcome) -> None:
        self._points, self._candidates, self._outcome = points, candidates, outcome
        self._failed: set[str] = set()

    def __call__(self) -> Iterator[tuple[RestorePoint, Listing]]:
        trusted = False
        for point, listing in self._listed():
            if not shows_ransomware(listing):
                trusted = True
                yield point, listing
        if not trusted:  # every point shows the ransom note (a mirror has only now): take what there is
            yield from self._listed()

    def _listed(self) -> Iterator[tuple[RestorePoint, Listing]]:
        for point in self._candidates:
            if point.id in self._failed:
                continue
            try:
                listing = self._points.listing(point)
            except WorkbenchError as exc:
                self._failed.add(point.id)
                self._outcome.actions.append(f"listing point {point.id} failed: {exc}")
                continue
            yield point, listing


class _Comparer:
    """Which files a point holds other content for than the live tree (``restore_plan.ContentCheck``).

    By the listing's hash where it has one the user can take of the live file; otherwise by
    restoring the point's copies into scratch space and hashing them there.
    """

    def __init__(self, protection: Recoverable, live: LiveTree, rescue: bool) -> None:
        self._protection, self._live, self._rescue = protection, live, rescue

    def __call__(self, point: RestorePoint, listing: Listing, names: Mapping[str, str]) -> set[str]:
        differ = set()
        unhashed = {}
        for name, path in names.items():
            listed = listing[name]
            if listed.hash is not None and knows_hash(listed.hash_name):
                if listed.hash != self._live_hash(path, listed.hash_name or ""):
                    differ.add(name)
            else:
                unhashed[name] = path
        return differ | (self._read_and_compare(point, unhashed) if unhashed else set())

    def _live_hash(self, path: str, name: str) -> str | None:
        if name == CONTENT_HASH:
            return self._live.entries[path].content
        return content_hash(self._live.root / path, name)

    def _read_and_compare(self, point: RestorePoint, names: Mapping[str, str]) -> set[str]:
        self._protection.scratch.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="compare-", dir=self._protection.scratch))
        try:
            self._protection.restore_paths(point, sorted(names), scratch, rescue=True)
            differ = set()
            for name, path in names.items():
                copy = scratch / name
                if copy.is_file() and not copy.is_symlink():
                    if content_hash(copy, CONTENT_HASH) != self._live.entries[path].content:
                        differ.add(name)
            return differ
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _clear_ransom_leftovers(live: LiveTree, restored: list[Take], trusted: bool) -> int:
    """Remove what the ransomware left: the encrypted twins of restored files, and, after restoring
    from trusted points only, every encrypted file and note (without the key they are only noise),
    and the files it encrypted in place that no point held."""
    names = {path for take in restored for path in take.paths}
    doomed = {n + EXTENSION for n in names if len(os.fsencode(Path(n).name + EXTENSION)) <= 255}
    if trusted:
        doomed |= {n for n in live.entries if is_ransom_name(n)}
        doomed |= set(encrypted(live)) - names
    removed = 0
    for name in sorted(doomed):
        path = live.root / name
        if os.path.lexists(path) and not path.is_dir():
            path.unlink()
            removed += 1
    return removed
