"""borg as an engine of the backup strategy: ``backup/borg`` (unencrypted) and ``backup/borg:repokey``.

Commands (borg 1.2.4, Debian 12):

- protect: ``borg init -e none|repokey`` once, then ``borg create --json --log-json --progress
  --timestamp T REPO::NAME FOLDERS`` run inside the source (archive paths start at the folders);
- points: ``borg list --json REPO``; listing: ``borg list --json-lines REPO::NAME``;
- restore: ``borg extract --sparse REPO::NAME [pp:PATH ...]`` run inside the destination;
- verify: ``borg check --verify-data --log-json``. When its segment scan finds damage borg skips
  the archives, so ``borg check --archives-only --verify-data`` names the damaged chunks next;
  ``borg debug dump-archive`` then says which archives use them (borg's ``restic find --pack``).

The default variant is ``none`` (``-e none``: the workbench's own engine keeps no key either);
``repokey`` keeps the key in the repository and its passphrase in the workspace's key folder
(``BORG_PASSPHRASE``). borg's cache, security records and config live in the engine's state
folder (``BORG_BASE_DIR``), on the machine. A run killed mid-way leaves ``lock.exclusive``;
borg 1.2 removes a lock whose process is gone on this host by itself, and the next point says so.
Exit codes are borg 1.2's (0 done, 1 warning, 2 error); the adapter reads the log, not the code.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ... import proc
from ...disk import locks
from ...disk.targets import check_destination
from ...errors import OperationFailed, RestoreIncomplete, UsageError
from ..base import Damage, Listed, ProgressCallback, RestorePoint, RestoreReport, VerifyReport
from . import borg_json
from .base import (
    FoldersEngine,
    Need,
    check_source,
    is_new_repository,
    require,
    restored_totals,
    secret,
    tool_failed,
)

TOOLS = ("borg",)
NEED = Need("borg", (1, 2), "'borg list --json-lines' and 'borg debug dump-archive' as 1.2 prints them")
VARIANTS = ("none", "repokey")
PASSPHRASE = "borg.passphrase"
#: borg 1.2's exit code for a run that finished with warnings (a file changed while it was read).
WARNING = 1
#: borg 1.2 keeps this many segment files in each folder of data/.
SEGMENTS_PER_DIR = 1000


class BorgEngine(FoldersEngine):
    """``backup/borg``: the folders ``folders`` of the tree given to protect, in a borg repository."""

    name = "backup/borg"
    engine = "borg"
    variants = VARIANTS

    # -- the Strategy protocol -------------------------------------------------------------------------------

    @locks.writing("borg repository")
    def protect(self, source: Path, target: Path, *, now: datetime,
                progress: ProgressCallback | None = None) -> RestorePoint:
        folders = check_source(source, self.folders)
        if is_new_repository(target):
            target.mkdir(parents=True, exist_ok=True)
            self._run(["init", "--encryption", self.variant, target], what="making the borg repository")
        notes = ["borg removed the lock a killed run left (its process is gone)"] \
            if (target / "lock.exclusive").exists() else []
        earlier = self._archives(target)
        name = _archive_name(now, {a.name for a in earlier})
        stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        done = self._run(["create", "--json", "--log-json", "--progress", "--timestamp", stamp,
                          f"{target}::{name}", *folders], cwd=source, check=False, what="borg create")
        if done.returncode not in (0, WARNING) or not done.stdout.strip():
            raise _failed("borg create", done)
        made = borg_json.created(done.stdout.decode(errors="replace"))
        stderr = done.stderr.decode(errors="replace")
        if progress is not None:
            progress(made.original_bytes, made.original_bytes)
        warned = [line.message for line in borg_json.log_lines(stderr) if line.level in ("WARNING", "ERROR")
                  and "previously located" not in line.message]
        notes += warned
        unreadable = [message for message in warned if os.strerror(errno.EIO) in message]  # borg skipped these
        return RestorePoint(id=made.name, time=made.time, kind="incremental" if earlier else "full",
                            parent=earlier[-1].name if earlier else None, stored_bytes=made.deduplicated_bytes,
                            extra={"archive_id": made.id, "files": made.files, "bytes": made.original_bytes,
                                   "seconds": made.seconds, "encryption": self.variant, "notes": notes,
                                   "read_errors": len(unreadable), "unreadable": unreadable})

    def points(self, target: Path) -> list[RestorePoint]:
        found = self._archives(target)
        return [RestorePoint(id=a.name, time=a.time, kind="incremental" if i else "full",
                             parent=found[i - 1].name if i else None, extra={"archive_id": a.id})
                for i, a in enumerate(found)]

    def verify(self, target: Path) -> VerifyReport:
        archives = self._archives(target)
        done = self._run(["check", "--verify-data", "--log-json", target], check=False, what="borg check")
        findings = borg_json.check_findings(done.stderr.decode(errors="replace"))
        report = VerifyReport(checked=len(archives))
        if done.returncode == 0 and findings.clean:
            return report
        if findings.repository_damaged:  # borg skipped the archives: ask which chunks are damaged
            again = self._run(["check", "--archives-only", "--verify-data", "--log-json", target], check=False,
                              what="borg check --archives-only")
            borg_json.check_findings(again.stderr.decode(errors="replace"), into=findings)
        damaged = findings.chunks or findings.scan_lost
        users = self.archives_using(target, set(damaged))
        for chunk in damaged:
            affected = tuple(sorted(users.get(chunk, set()) | set(findings.archives)))
            report.damage.append(Damage("chunk", chunk, _detail(findings.errors, chunk), affected))
        for segment, offset in findings.segments:
            report.damage.append(Damage("segment", f"data/{segment // SEGMENTS_PER_DIR}/{segment} at offset {offset}",
                                        "a segment entry's checksum does not match"))
        if not report.damage:
            report.damage.append(Damage("repository", str(target), "; ".join(findings.errors)[:500]
                                        or f"borg check exited {done.returncode}", tuple(findings.archives)))
        return report

    # -- Lister, and what faults strike ---------------------------------------------------------------------------

    def listing(self, target: Path, point_id: str) -> list[Listed]:
        name = self._name(target, point_id)
        return borg_json.items(self._text(["list", "--json-lines", f"{target}::{name}"], what="borg list"))

    def data_paths(self, target: Path) -> list[Path]:
        """The segments (``data/``): what rot in the repository would strike; not its index, hints or config."""
        return [target / "data"]

    def archives_using(self, target: Path, ids: set[str]) -> dict[str, set[str]]:
        """Object id -> the archives whose metadata or files use it (``borg debug dump-archive``).

        An archive borg cannot dump (its own metadata is damaged) uses every id asked about.
        """
        users: dict[str, set[str]] = {i: set() for i in ids}
        if not ids:
            return users
        for archive in self._archives(target):
            done = self._run(["debug", "dump-archive", f"{target}::{archive.name}", "-"], check=False,
                             what="borg debug dump-archive")
            used = borg_json.referenced_ids(done.stdout.decode(errors="replace")) if done.returncode == 0 else ids
            for chunk in ids & (used | {archive.id}):
                users[chunk].add(archive.name)
        return users

    # -- the tool --------------------------------------------------------------------------------------------

    def _restore(self, target: Path, point_id: str, destination: Path, paths: Sequence[str],
                 force: bool) -> RestoreReport:
        name = self._name(target, point_id)
        check_destination(destination, force=force)
        destination.mkdir(parents=True, exist_ok=True)
        patterns = ["pp:" + p.strip("/") for p in paths]
        done = self._run(["extract", "--sparse", "--log-json", f"{target}::{name}", *patterns], cwd=destination,
                         check=False, what="borg extract")
        shown = [p.strip("/") for p in paths if os.path.lexists(destination / p.strip("/"))]
        files, written = restored_totals(destination, shown if paths else ())
        if done.returncode != 0:  # borg 1.2 stops the whole extract at the first chunk that fails its check
            logged = borg_json.log_lines(done.stderr.decode(errors="replace"))
            damaged = [line.message for line in logged if line.msgid == "IntegrityError"
                       or "integrity error" in line.message.lower()]
            warned = [line.message for line in logged if line.level == "WARNING"]
            if not damaged and not (done.returncode == WARNING and warned):
                raise _failed("borg extract", done)
            raise RestoreIncomplete(f"borg could not extract everything of archive {name}: {(damaged or warned)[0]}")
        return RestoreReport(name, bytes_written=written, files=files)

    def _archives(self, target: Path) -> list[borg_json.Archive]:
        _require_repository(target)
        return borg_json.archives(self._text(["list", "--json", target], what="listing borg archives"))

    def _name(self, target: Path, point_id: str) -> str:
        """The archive's name: the newest one's for 'latest', else the point id itself (an archive's name)."""
        if point_id != "latest":
            _require_repository(target)
            return point_id
        found = self._archives(target)
        if not found:
            raise UsageError(f"the repository {target} has no archives yet: protect into it first")
        return found[-1].name

    def _env(self) -> dict[str, str]:
        self.state.mkdir(parents=True, exist_ok=True)
        return {"BORG_BASE_DIR": str(self.state),
                "BORG_PASSPHRASE": secret(PASSPHRASE) if self.variant == "repokey" else "",
                "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes", "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes",
                "BORG_DISPLAY_PASSPHRASE": "no", "TZ": "UTC", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}

    def _run(self, args: Sequence[str | os.PathLike[str]], *, what: str, check: bool = True,
             cwd: Path | None = None) -> proc.Completed:
        require(NEED)
        return proc.run(["borg", *args], env=self._env(), cwd=cwd, check=check, what=what)

    def _text(self, args: Sequence[str | os.PathLike[str]], *, what: str) -> str:
        return self._run(args, what=what).stdout.decode(errors="replace")


def make(variant: str = "", *, folders: tuple[str, ...] = (), state: Path) -> BorgEngine:
    """The engine the catalog's ``backup/borg[:none|repokey]`` row names."""
    return BorgEngine(folders=folders, state=state, variant=variant or VARIANTS[0])


def _require_repository(target: Path) -> None:
    if not (target / "config").is_file():
        raise UsageError(f"'{target}' is no borg repository (it has no config): protect into it first")


def _archive_name(now: datetime, taken: set[str]) -> str:
    """The archive's name: its simulated time, made unique when a run at that time exists already."""
    base = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    name, counter = base, 1
    while name in taken:
        counter += 1
        name = f"{base}.{counter}"
    return name


def _detail(errors: list[str], chunk: str) -> str:
    return next((line for line in errors if chunk in line), "")[:300]


def _failed(what: str, done: proc.Completed) -> OperationFailed:
    lines = [line.message for line in borg_json.log_lines(done.stderr.decode(errors="replace"))
             if line.level in ("ERROR", "CRITICAL")]
    return tool_failed(what, "\n".join(lines) if lines else done.stderr, done.returncode)
