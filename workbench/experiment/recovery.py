"""Recovery as a user of each strategy can do it, from what a user can see.

What recovery may look at: the disk itself (does it boot, does it mount),
the names of the user's files that are gone, the ransom note and the renamed
files, and the strategy's own verify output. It never reads the injector's
records or the ground truth's content. It never branches on a strategy's or
a scenario's name: it only uses what a ``Protection`` offers.

- **disk-level damage** (the disk is gone, or no longer has its partitions,
  boot code or a mountable root): the newest usable point is restored onto a
  blank disk which is swapped in; with no point, the user tries the disk's own
  repairs (the backup GPT, a backup superblock).
- **file-level damage**: the user looks back through the points, newest
  first, for one that still holds the files they are missing and no ransom
  note; then copies back the missing files and the ones whose content changed
  without being modified (rot), and clears the ransomware's leftovers.
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ..disk.repair import rebuild_gpt_from_backup, repair_from_backup_superblock
from ..errors import WorkbenchError
from ..faults.ransomware import EXTENSION, NOTE_NAME
from ..strategies.base import RestorePoint, VerifyReport
from .machine import Machine


class Recoverable(Protocol):
    """What recovery needs of a protection (``experiment.protection.Protection`` offers it): the points
    and the strategy's own verify, a way to look inside a point and to rebuild a disk from one."""

    @property
    def folders(self) -> tuple[str, ...]:
        """The folders the protection covers inside the root tree; () for the whole disk."""
        ...

    def detach(self) -> None: ...

    def points(self) -> list[RestorePoint]: ...

    def verify(self) -> VerifyReport: ...

    def browse(self, point: RestorePoint, *, rescue: bool = False) -> AbstractContextManager[Path]:
        """A read-only view of the point laid out like the root tree."""
        ...

    def rebuild_disk(self, point: RestorePoint, size_bytes: int, new_disk: Path, *, rescue: bool = False) -> Path:
        """Full recovery onto a blank disk; returns the disk to swap in."""
        ...


@dataclass
class RecoveryOutcome:
    rto_s: float = 0.0
    level: str = ""  # "disk" or "files"
    point_id: str | None = None
    point_time: datetime | None = None
    damage_detected: bool = False  # the strategy's own verify found damage
    files_restored: int = 0
    actions: list[str] = field(default_factory=list)


def sort_points(protection: Recoverable, outcome: RecoveryOutcome) -> tuple[list[RestorePoint], list[RestorePoint]]:
    """(points that verify clean, points verify found damage in), each newest first.

    The points are those the target holds now, when the damage is noticed.
    """
    try:
        points = list(reversed(protection.points()))
        report = protection.verify()
    except WorkbenchError as exc:
        outcome.damage_detected = True
        outcome.actions.append(f"the target is unreadable: {exc}")
        return [], []
    if not report.damage:
        return points, []
    outcome.damage_detected = True
    outcome.actions.append(f"verify found {len(report.damage)} damaged item(s)")
    damaged = {pid for damage in report.damage for pid in damage.affects}
    if not damaged:  # damage not tied to particular points: trust none of them
        return [], points
    return [p for p in points if p.id not in damaged], [p for p in points if p.id in damaged]


def recover(machine: Machine, protection: Recoverable, *, disk_size: int, remembered_files: set[str],
            disk_failing: bool = False) -> RecoveryOutcome:
    """Bring the machine back as well as this protection allows; time it (RTO).

    The whole disk is restored onto a new one when it no longer works, or when the
    user saw it failing (``disk_failing``: it still mounts, but nobody keeps it).
    """
    outcome = RecoveryOutcome()
    protection.detach()
    machine.unmount()
    started = time.perf_counter()
    clean, damaged = sort_points(protection, outcome)
    verify_s = time.perf_counter() - started
    if disk_failing or not machine.usable():
        outcome.level = "disk"
        _recover_disk(machine, protection, clean, damaged, disk_size, outcome)
    else:
        outcome.level = "files"
        _recover_files(machine, protection, clean, damaged, remembered_files, outcome)
    machine.unmount()
    outcome.rto_s = time.perf_counter() - started - verify_s
    return outcome


def _recover_disk(machine: Machine, protection: Recoverable, clean: list[RestorePoint], damaged: list[RestorePoint],
                  disk_size: int, outcome: RecoveryOutcome) -> None:
    """The newest clean point that restores; failing that, what can be rescued from a damaged one."""
    tries = [(p, False) for p in clean] + [(p, True) for p in damaged[:1]]
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
    if machine.image.exists():
        for repair in (rebuild_gpt_from_backup, repair_from_backup_superblock):
            try:
                result = repair(machine.image)
                outcome.actions.append(f"{repair.__name__}: {result}")
            except WorkbenchError as exc:
                outcome.actions.append(f"{repair.__name__} failed: {exc}")
    else:
        outcome.actions.append("the disk is gone and nothing was kept to rebuild it from")


def _recover_files(machine: Machine, protection: Recoverable, clean_points: list[RestorePoint],
                   damaged: list[RestorePoint], remembered: set[str], outcome: RecoveryOutcome) -> None:
    live = machine.mount()
    missing = sorted(n for n in remembered if _in_scope(n, protection.folders) and not os.path.lexists(live / n))
    suspects = _written_since_the_note(live, protection.folders)
    rescue = not clean_points and bool(damaged)
    best = _best_point(protection, clean_points or damaged[:1], missing, outcome, rescue=rescue)
    if best is None:
        outcome.actions.append("no point to restore from")
        return
    point, clean = best
    try:
        with protection.browse(point, rescue=rescue) as view:
            rotten = _changed_without_modification(live, view, protection.folders)
            restored = _copy_back(view, live, [*missing, *rotten, *suspects])
    except WorkbenchError as exc:
        outcome.actions.append(f"restoring from point {point.id} failed: {exc}")
        return
    cleared = _clear_ransom_leftovers(live, protection.folders, restored, suspects, clean)
    outcome.point_id, outcome.point_time = point.id, point.time
    outcome.files_restored = len(restored)
    outcome.actions.append(f"copied {len(restored)} file(s) back from point {point.id}"
                           + (f"; removed {cleared} ransomware leftover(s)" if cleared else ""))


def _best_point(protection: Recoverable, points: list[RestorePoint], missing: list[str], outcome: RecoveryOutcome,
                *, rescue: bool = False) -> tuple[RestorePoint, bool] | None:
    """The newest point with no sign of ransomware that holds the most of the missing files.

    Returns (point, clean): ``clean`` is False when every point shows the ransom note
    (a mirror has only now): the user takes what there is.
    """
    best, best_key = None, None
    for point in points:  # newest first
        try:
            with protection.browse(point, rescue=rescue) as view:
                clean = not _has_ransom_note(view, protection.folders)
                present = sum(os.path.lexists(view / n) for n in missing)
        except WorkbenchError as exc:
            outcome.actions.append(f"browsing point {point.id} failed: {exc}")
            continue
        key = (clean, present)
        if best_key is None or key > best_key:
            best, best_key = (point, clean), key
        if clean and present == len(missing):
            break  # an older point cannot do better
    return best


def _in_scope(name: str, folders: tuple[str, ...]) -> bool:
    return not folders or any(name == f or name.startswith(f + "/") for f in folders)


def _walk_files(top: Path, folders: tuple[str, ...]) -> list[str]:
    names = []
    for folder in folders or ("",):
        base = top / folder
        for dirpath, _dirs, files in os.walk(base):
            for filename in files:
                names.append(str((Path(dirpath) / filename).relative_to(top)))
    return names


def _has_ransom_note(view: Path, folders: tuple[str, ...]) -> bool:
    return any(Path(n).name == NOTE_NAME or n.endswith(EXTENSION) for n in _walk_files(view, folders))


def _written_since_the_note(live: Path, folders: tuple[str, ...]) -> list[str]:
    """Files written since the earliest ransom note appeared: the ones the ransomware had its hands on."""
    names = _walk_files(live, folders)
    notes = [(live / n).lstat().st_mtime_ns for n in names if Path(n).name == NOTE_NAME]
    if not notes:
        return []
    since = min(notes)
    return [n for n in names if Path(n).name != NOTE_NAME and not n.endswith(EXTENSION)
            and (live / n).lstat().st_mtime_ns >= since]


def _changed_without_modification(live: Path, view: Path, folders: tuple[str, ...]) -> list[str]:
    """Files whose bytes differ from the point's copy although size and mtime are the same: rot."""
    found = []
    for name in _walk_files(view, folders):
        here, there = live / name, view / name
        try:
            a, b = here.lstat(), there.lstat()
        except FileNotFoundError:
            continue
        if not (os.path.isfile(here) and not here.is_symlink()):
            continue
        if (a.st_size, a.st_mtime_ns) == (b.st_size, b.st_mtime_ns) and not _same_bytes(here, there):
            found.append(name)
    return found


def _same_bytes(a: Path, b: Path) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def _copy_back(view: Path, live: Path, names: list[str]) -> list[str]:
    """Copy entries from the point into the live tree with their metadata (and hard links); parents as needed."""
    restored = []
    copied: dict[int, Path] = {}  # inode in the point -> where it went, to keep hard links linked
    for name in sorted(set(names)):
        source = view / name
        if not os.path.lexists(source):
            continue
        dest = live / name
        _make_parents(view, live, Path(name).parent)
        if os.path.lexists(dest):
            dest.unlink()
        st = source.lstat()
        if source.is_symlink():
            os.symlink(os.readlink(source), dest)
        elif st.st_nlink > 1 and st.st_ino in copied:
            os.link(copied[st.st_ino], dest)
        else:
            shutil.copy2(source, dest)
            copied[st.st_ino] = dest
        os.lchown(dest, st.st_uid, st.st_gid)
        if not source.is_symlink():
            os.chmod(dest, st.st_mode & 0o7777)
        os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
        restored.append(name)
    return restored


def _make_parents(view: Path, live: Path, rel: Path) -> None:
    for part in reversed([rel, *rel.parents]):
        if str(part) in ("", "."):
            continue
        dest = live / part
        if not dest.exists():
            dest.mkdir()
            st = (view / part).stat()
            os.chown(dest, st.st_uid, st.st_gid)
            os.chmod(dest, st.st_mode & 0o7777)


def _clear_ransom_leftovers(live: Path, folders: tuple[str, ...], restored: list[str], suspects: list[str],
                            clean: bool) -> int:
    """Remove what the ransomware left: the encrypted twins of restored files, and, after a restore
    from a clean point, every encrypted file and note (without the key they are only noise)."""
    doomed = [n + EXTENSION for n in restored if len(os.fsencode(Path(n).name + EXTENSION)) <= 255]
    if clean and restored:
        names = _walk_files(live, folders)
        doomed += [n for n in names if n.endswith(EXTENSION) or Path(n).name == NOTE_NAME]
        doomed += [n for n in suspects if n not in restored]
    removed = 0
    for name in set(doomed):
        path = live / name
        if os.path.lexists(path):
            path.unlink()
            removed += 1
    return removed
