"""``mirror-two-way/unison``: the users' folders kept in step with a mirror by ``unison -batch``, both ways.

protect: ``unison workbench`` with the profile ``workbench.prf`` in the target's
state folder (``MIRROR.unison``, beside the mirror, named by ``UNISON``): the two
roots, ``batch`` (no questions: a conflict is skipped, both versions stay),
``times``, ``owner``, ``group``, ``numericids``, ``links``. unison keeps its
archives there too; ``UNISONLOCALHOSTNAME`` is fixed, so they survive a change
of host name, as unison's own warning advises. Conflicts and failures are
recorded as unison reports them (``unison_output``). unison 2.52 syncs no
xattrs or ACLs, and no hard links: those come back as unison left them.

Like any mirror it keeps one point, ``now``. verify: unison's archive (its
fingerprints) cannot be read outside unison, and a unison run needs the source,
which at recovery time is the damaged tree. So, as the workbench's own
two-way engine does, the engine keeps a listing of the mirror (kind, size,
mtime) taken after every sync, in the state folder; verify reads every file of
the mirror (I/O errors) and compares it with that listing. Silent rot (same
size and mtime) is not seen: that is what a mirror without hashes can tell.

restore: a copy back, ``cp -a`` (what unison wrote is what there is to copy).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ... import proc
from ...disk import locks
from ...disk.targets import check_destination
from ...errors import OperationFailed, UsageError
from ..base import Damage, Listed, ProgressCallback, RestorePoint, RestoreReport, VerifyReport
from ..mirror.strategies import TwoWayMirror, allocated_bytes
from . import folder
from .unison_output import EXIT_FATAL, parse

POINT = "now"
PROFILE = "workbench"
LISTING = "listing.json"
FORMAT = 1
HOST_NAME = "workbench"
#: Preferences beyond the roots: batch mode, and every attribute unison 2.52 can keep.
PREFERENCES = ("batch = true", "times = true", "owner = true", "group = true", "numericids = true",
               "links = true", "log = false", *(f"ignore = Path {name}" for name in folder.FILESYSTEM_NAMES))


def state_folder(target: Path) -> Path:
    """Where unison's profile, its archives and the engine's listing live: beside the mirror."""
    return target.with_name(target.name + ".unison")


def profile_text(source: Path, target: Path) -> str:
    """The profile for one pair of roots (pure)."""
    return "\n".join(["# written by the workbench before every sync", f"root = {source}", f"root = {target}",
                      *PREFERENCES]) + "\n"


#: The tools this engine runs, whose versions the run record keeps.
TOOLS = ("unison",)

class UnisonMirror(TwoWayMirror):
    """Two-way mirror by unison."""

    @locks.writing("unison replica")
    def protect(self, source: Path, target: Path, *, now: datetime,
                progress: ProgressCallback | None = None) -> RestorePoint:
        """One sync. ``progress`` hears (items transferred, items seen) once unison ends."""
        if not source.is_dir():
            raise UsageError(f"'{source}' is not a folder: unison syncs two folders")
        if target.exists() and not target.is_dir():
            raise UsageError(f"'{target}' is a file: a mirror is a folder")
        target.mkdir(parents=True, exist_ok=True)
        roots = (str(source.resolve()), str(target.resolve()))
        state = state_folder(target)
        state.mkdir(exist_ok=True)
        (state / f"{PROFILE}.prf").write_text(profile_text(*map(Path, roots)))
        done = proc.run(["unison", PROFILE], env={"UNISON": str(state), "UNISONLOCALHOSTNAME": HOST_NAME,
                                                  "LC_ALL": "C"}, check=False, what="unison")
        stdout, stderr = (done.stdout.decode("utf-8", "surrogateescape"),
                          done.stderr.decode("utf-8", "surrogateescape"))
        report = parse(stdout, stderr, roots)
        if done.returncode >= EXIT_FATAL:
            raise OperationFailed(f"unison stopped (exit code {done.returncode}): {report.fatal or 'no reason given'}")
        written = [*report.paths("copy", roots[1]), *report.paths("update", roots[1])]
        folder.save_record(state / LISTING, {
            "format": FORMAT, "engine": "unison", "synced_at": now.isoformat(), "exit_code": done.returncode,
            **report.to_json(), "entries": _signatures(target)})
        if progress is not None:
            progress(report.transferred, report.transferred + report.skipped + report.failed)
        extra: dict[str, Any] = {**report.to_json(), "exit_code": done.returncode,
                                 "deleted_paths": report.paths("delete", roots[1]),
                                 "copied_to_source": len(report.paths("copy", roots[0]))}
        if os.strerror(errno.EIO) in stdout + stderr:  # the disk failed it: what failed, it could not read or write
            unreadable = [failure["path"] for failure in report.failures]  # unison went on with the rest
            extra.update(read_errors=len(unreadable), unreadable=unreadable)
        return RestorePoint(POINT, now, "two-way", stored_bytes=sum(_bytes_at(target / p) for p in written),
                            extra=extra)

    def points(self, target: Path) -> list[RestorePoint]:
        saved = folder.load_record(state_folder(target) / LISTING)
        if saved is None:
            return []
        return [RestorePoint(POINT, datetime.fromisoformat(saved["synced_at"]), "two-way", extra={
            "conflicts": saved.get("conflicts", []), "failures": saved.get("failures", []),
            "exit_code": saved.get("exit_code")})]

    def restore(self, target: Path, point_id: str, destination: Path, *, force: bool = False) -> RestoreReport:
        self._check(target, point_id)
        check_destination(destination, force=force)
        return folder.copy_out(target, folder.top_names(target, left_out=folder.FILESYSTEM_NAMES), destination,
                               POINT)

    def listing(self, target: Path, point_id: str) -> list[Listed]:
        self._check(target, point_id)
        return folder.listing(target, left_out=folder.FILESYSTEM_NAMES)

    def restore_paths(self, target: Path, point_id: str, paths: Sequence[str], destination: Path, *,
                      force: bool = False) -> RestoreReport:
        self._check(target, point_id)
        check_destination(destination, force=force)
        return folder.copy_out(target, paths, destination, POINT)

    def verify(self, target: Path) -> VerifyReport:
        """Every file readable, and kind, size and mtime as the listing taken after the last sync says."""
        saved = self._check(target, POINT)
        expected: dict[str, list[int | str]] = dict(saved.get("entries") or {})
        report = VerifyReport()
        for rel, info in folder.walk(target, left_out=folder.FILESYSTEM_NAMES):
            if not stat.S_ISREG(info.st_mode):
                continue
            report.checked += 1
            try:
                _read_through(target / rel)
            except OSError as exc:
                report.damage.append(Damage("file", rel, f"unreadable: {exc.strerror}", (POINT,)))
                continue
            want = expected.pop(rel, None)
            if want is None:
                report.damage.append(Damage("file", rel, "not there after the last sync", (POINT,)))
            elif list(want) != ["file", info.st_size, info.st_mtime_ns]:
                report.damage.append(Damage("file", rel, "size or mtime changed since the last sync", (POINT,)))
        for rel, want in sorted(expected.items()):
            if want[0] == "file":
                report.damage.append(Damage("file", rel, "missing from the mirror since the last sync", (POINT,)))
        return report

    def footprint(self, target: Path) -> int:
        """The mirror and unison's state folder (its archives are part of what it keeps)."""
        return sum(allocated_bytes(path) for path in (target, state_folder(target)) if path.exists())

    @staticmethod
    def _check(target: Path, point_id: str) -> dict[str, Any]:
        if point_id not in (POINT, "latest"):
            raise UsageError(f"a mirror has one restore point, 'now' (its current state), not '{point_id}'")
        saved = folder.load_record(state_folder(target) / LISTING)
        if saved is None:
            raise UsageError(f"'{target}' is not a unison mirror (no {state_folder(target).name}/{LISTING}): "
                             "run protect first")
        return saved


def _signatures(root: Path) -> dict[str, list[int | str]]:
    return {rel: ["file", info.st_size, info.st_mtime_ns] for rel, info in
            folder.walk(root, left_out=folder.FILESYSTEM_NAMES) if stat.S_ISREG(info.st_mode)}


def _bytes_at(path: Path) -> int:
    """A file's size, or the size of the files in a folder (what a copy of it wrote)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return 0
    if stat.S_ISDIR(info.st_mode):
        return sum(entry.st_size for _, entry in folder.walk(path) if stat.S_ISREG(entry.st_mode))
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def _read_through(path: Path) -> None:
    with open(path, "rb") as handle:
        while handle.read(1 << 20):
            pass


def make(variant: str = "", *, folders: tuple[str, ...] = (), state: Path) -> UnisonMirror:
    """The engine the catalog's ``mirror-two-way/unison`` row names (it has no variants)."""
    return UnisonMirror()
