"""restic as an engine of the backup strategy: ``backup/restic``.

Commands (restic 0.14, Debian 12):

- protect: ``restic init`` once, then ``restic backup --json --host workbench --time T -- FOLDERS``
  run inside the source, so the snapshot's tree starts at the folders (``/home/...``);
- points: ``restic snapshots --json``; listing: ``restic ls --json ID``;
- restore: ``restic restore ID --target DEST`` (``--sparse`` from restic 0.15 on), with one
  ``--include /PATH`` per path for ``restore_paths``;
- verify: ``restic check --read-data``; each damaged pack it names is looked up with
  ``restic find --pack ID --json``, which names the snapshots that hold a blob of it;
- after a killed run, ``restic unlock`` (without ``--remove-all``: stale locks only); the point
  the next run makes says so in ``extra['notes']``.

Encryption is always on: the password is a file in the workspace's key folder
(``RESTIC_PASSWORD_FILE``), never in the target. restic keeps its cache in the engine's
state folder (``RESTIC_CACHE_DIR``), on the machine, as it would in a user's home.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ... import proc
from ...disk import locks
from ...disk.targets import check_destination
from ...errors import OperationFailed, RestoreIncomplete, UsageError
from ..base import Damage, Listed, ProgressCallback, RestorePoint, RestoreReport, VerifyReport
from . import restic_json
from .base import (
    FoldersEngine,
    Need,
    check_source,
    is_new_repository,
    key_file,
    parse_version,
    require,
    restored_totals,
    tool_failed,
)

#: The tools this engine runs (the run record keeps their versions).
TOOLS = ("restic",)
NEED = Need("restic", (0, 14), "repository format 2 (compression)")
#: ``restore --sparse`` (holes restored as holes) came with restic 0.15: used only where the tool has it.
SPARSE_RESTORE = (0, 15)
PASSWORD = "restic.password"
#: The host every snapshot names, so restic finds the parent snapshot whatever the machine is called.
HOST = "workbench"
#: restic's exit code for a backup that made its snapshot but could not read some files.
PARTIAL_BACKUP = 3
_GLOB = re.compile(r"([*?\[\]\\])")
#: A lock's file name: the SHA-256 of its contents, in hex.
_LOCK_ID = re.compile(r"[0-9a-f]{64}")


class ResticEngine(FoldersEngine):
    """``backup/restic``: the folders ``folders`` of the tree given to protect, in a restic repository."""

    name = "backup/restic"
    engine = "restic"

    # -- the Strategy protocol -------------------------------------------------------------------------------

    @locks.writing("restic repository")
    def protect(self, source: Path, target: Path, *, now: datetime,
                progress: ProgressCallback | None = None) -> RestorePoint:
        folders = check_source(source, self.folders)
        if is_new_repository(target):
            target.mkdir(parents=True, exist_ok=True)
            self._run(target, ["init"], what="making the restic repository")
        notes = self._unlock_stale(target)
        when = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        done = self._run(target, ["backup", "--json", "--host", HOST, "--time", when, "--", *folders], cwd=source,
                         check=False, what="restic backup")
        if done.returncode not in (0, PARTIAL_BACKUP):
            raise _failed("restic backup", done)
        stdout = done.stdout.decode(errors="replace")
        summary = restic_json.backup_summary(stdout, done.stderr.decode(errors="replace"))
        if progress is not None:
            progress(summary.total_bytes, summary.total_bytes)
        snapshot = self._snapshot(target, summary.snapshot_id)
        notes += [f"restic could not read {e}" for e in summary.errors]
        return RestorePoint(id=snapshot.id, time=snapshot.time, kind="incremental" if snapshot.parent else "full",
                            parent=snapshot.parent, stored_bytes=summary.data_added,
                            extra={"short_id": snapshot.short_id, "files": summary.total_files,
                                   "bytes": summary.total_bytes, "files_new": summary.files_new,
                                   "files_changed": summary.files_changed, "seconds": summary.seconds,
                                   "notes": notes, "read_errors": len(summary.errors),
                                   "unreadable": list(summary.errors)})

    def points(self, target: Path) -> list[RestorePoint]:
        self._require_repository(target)
        found = restic_json.snapshots(self._text(target, ["snapshots", "--json"], what="listing restic snapshots"))
        return sorted((_point(s) for s in found), key=lambda p: p.time)

    def verify(self, target: Path) -> VerifyReport:
        self._require_repository(target)
        self._unlock_stale(target)
        packs = self._pack_ids(target)
        done = self._run(target, ["check", "--read-data"], check=False, what="restic check")
        output = done.stdout.decode(errors="replace") + "\n" + done.stderr.decode(errors="replace")
        if done.returncode == 0:  # hints (packs a killed run left, which prune would drop) are no damage
            return VerifyReport(checked=len(packs))
        findings = restic_json.check_findings(output)
        report = VerifyReport(checked=len(packs))
        for shown in findings.packs:
            pack = next((p for p in packs if p.startswith(shown)), shown)
            report.damage.append(Damage("pack", f"data/{pack[:2]}/{pack}", _detail(findings.errors, shown),
                                        tuple(sorted(self._snapshots_using(target, pack)))))
        if not findings.packs:  # damage restic could not pin on a pack: the repository as a whole
            report.damage.append(Damage("repository", str(target), "; ".join(findings.errors)[:500]
                                        or f"restic check exited {done.returncode}"))
        return report

    # -- Lister, and what faults strike ---------------------------------------------------------------------------

    def listing(self, target: Path, point_id: str) -> list[Listed]:
        self._require_repository(target)
        return restic_json.nodes(self._text(target, ["ls", "--json", point_id], what="restic ls"))

    def data_paths(self, target: Path) -> list[Path]:
        """The packs (``data/``): what rot in the repository would strike; locks, keys and the config are left."""
        return [target / "data"]

    def snapshots_using(self, target: Path, pack: str) -> set[str]:
        """The snapshots that hold a blob of ``pack`` (``restic find --pack``): what its damage affects."""
        return self._snapshots_using(target, pack)

    # -- the tool --------------------------------------------------------------------------------------------

    def _restore(self, target: Path, point_id: str, destination: Path, paths: Sequence[str],
                 force: bool) -> RestoreReport:
        self._require_repository(target)
        check_destination(destination, force=force)
        destination.mkdir(parents=True, exist_ok=True)
        includes = [arg for path in paths for arg in ("--include", "/" + _GLOB.sub(r"\\\1", path.strip("/")))]
        sparse = ["--sparse"] if (parse_version(require(NEED)) or ()) >= SPARSE_RESTORE else []
        done = self._run(target, ["restore", point_id, "--target", destination, *sparse, *includes],
                         check=False, what="restic restore")
        files, written = restored_totals(destination, [p.strip("/") for p in paths if (destination / p).exists()]
                                         if paths else ())
        if done.returncode != 0:
            holes = [line.strip() for line in done.stderr.decode(errors="replace").splitlines()
                     if line.strip().startswith("ignoring error")]
            if not holes:
                raise _failed("restic restore", done)
            raise RestoreIncomplete(f"restic could not restore {len(holes)} item(s) of snapshot {point_id[:8]}: "
                                    f"{holes[0]}")
        return RestoreReport(point_id, bytes_written=written, files=files)

    def _unlock_stale(self, target: Path) -> list[str]:
        """``restic unlock`` when locks are left (a killed run's): it removes the stale ones only."""
        before = _locks(target)
        if not before:
            return []
        self._run(target, ["unlock"], what="restic unlock")
        removed = before - _locks(target)
        return [f"restic unlock removed {len(removed)} stale lock(s) a killed run left"] if removed else []

    def _snapshot(self, target: Path, short_id: str) -> restic_json.Snapshot:
        found = restic_json.snapshots(self._text(target, ["snapshots", "--json", short_id], what="restic snapshots"))
        if len(found) != 1:
            raise OperationFailed(f"restic made snapshot {short_id}, but 'restic snapshots' does not show it")
        return found[0]

    def _snapshots_using(self, target: Path, pack: str) -> set[str]:
        done = self._run(target, ["find", "--pack", pack, "--json"], check=False, what="restic find --pack")
        found = restic_json.snapshots_using(done.stdout.decode(errors="replace")) if done.returncode == 0 else set()
        if done.returncode != 0 or not found:  # the pack's trees cannot be walked: any snapshot may need it
            return {p.id for p in self.points(target)}
        return found

    def _pack_ids(self, target: Path) -> list[str]:
        data = target / "data"
        return sorted(p.name for p in data.glob("*/*") if p.is_file()) if data.is_dir() else []

    def _require_repository(self, target: Path) -> None:
        if not (target / "config").is_file():
            raise UsageError(f"'{target}' is no restic repository (it has no config): protect into it first")

    def _env(self) -> dict[str, str]:
        self.state.mkdir(parents=True, exist_ok=True)
        return {"RESTIC_PASSWORD_FILE": str(key_file(PASSWORD)), "RESTIC_CACHE_DIR": str(self.state / "cache"),
                "TZ": "UTC", "LC_ALL": "C"}

    def _run(self, target: Path, args: Sequence[str | os.PathLike[str]], *, what: str, check: bool = True,
             cwd: Path | None = None) -> proc.Completed:
        require(NEED)
        return proc.run(["restic", "--repo", target, *args], env=self._env(), cwd=cwd, check=check, what=what)

    def _text(self, target: Path, args: Sequence[str], *, what: str) -> str:
        return self._run(target, args, what=what).stdout.decode(errors="replace")


def make(variant: str = "", *, folders: tuple[str, ...] = (), state: Path) -> ResticEngine:
    """The engine the catalog's ``backup/restic`` row names (it has no variants)."""
    if variant:
        raise UsageError(f"backup/restic has no variant '{variant}'")
    return ResticEngine(folders=folders, state=state)


def _point(snapshot: restic_json.Snapshot) -> RestorePoint:
    return RestorePoint(id=snapshot.id, time=snapshot.time, kind="incremental" if snapshot.parent else "full",
                        parent=snapshot.parent, extra={"short_id": snapshot.short_id, "paths": list(snapshot.paths)})


def _locks(target: Path) -> set[str]:
    """The locks in the repository: files of ``locks/`` named by an id. A run killed while it saved
    its lock leaves ``<id>-tmp-<n>``, which restic never reads as a lock (nor removes)."""
    folder = target / "locks"
    return {p.name for p in folder.iterdir() if _LOCK_ID.fullmatch(p.name)} if folder.is_dir() else set()


def _detail(errors: list[str], pack: str) -> str:
    return next((line for line in errors if pack in line), "")[:300]


def _failed(what: str, done: proc.Completed) -> OperationFailed:
    return tool_failed(what, done.stderr, done.returncode)
