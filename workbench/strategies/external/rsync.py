"""``mirror-sync/rsync``: the users' folders mirrored with ``rsync -aHAX --delete``, on a schedule.

protect: ``rsync -aHAX --delete`` (variant ``checksum`` adds ``--checksum``:
every file compared by content, not by size and mtime), run with ``LC_ALL=C``;
its figures come from ``--stats``, its progress from ``--info=progress2``, and
every item it touched from ``--out-format`` (``rsync_output`` reads all three).
Like any mirror it keeps one point, ``now``: the folder as the last sync left it.

verify: rsync's own check, ``rsync -n -c SOURCE/ MIRROR/``, needs the source, and
at recovery time the source is the damaged tree, so it would report the damage
to the source, not to the mirror. What verify checks instead is the mirror
against what rsync said it wrote: ``%C`` gives the MD5 of every file rsync
transferred (``--checksum-choice=md5``), and the engine keeps those checksums,
updated item by item, in a record at the mirror's top (left out of the sync).
verify re-reads every file of the mirror: a checksum that no longer matches, a
file gone, or one rsync never wrote (ransomware's renamed files, its notes)
is damage. After a run that did not finish, the record is not trusted: the
next run adds ``--checksum -ii``, which reports the checksum of every file, and
rebuilds it.

restore: a copy back with rsync itself (``-aHAX``; ``--files-from`` for chosen paths).
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import stat
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ... import proc
from ...disk import locks
from ...disk.targets import check_destination
from ...errors import MissingToolError, OperationFailed, UsageError
from ..base import Damage, Listed, ProgressCallback, RestorePoint, RestoreReport, VerifyReport
from ..mirror.strategies import OneWayMirror, allocated_bytes
from . import folder
from .rsync_output import OUT_FORMAT, Item, last_progress, parse_items, parse_stats, version_of

POINT = "now"
RECORD = ".workbench-rsync.json"
LEFT_OUT = (RECORD, *folder.FILESYSTEM_NAMES)
FORMAT = 1
HASH = "md5"
#: --checksum-choice and %C with a useful (unsalted) checksum came with rsync 3.2.
NEEDED = (3, 2)
#: 24: some source files vanished while rsync ran (the users were working): the rest is mirrored.
VANISHED = 24
#: rsync's exit code for a sync that went on past errors (files it could not read: a bad sector's EIO);
#: it then leaves the mirror's deletions undone, and the rest is synced.
PARTIAL = 23
_BASE = ["rsync", "-aHAX8", "--stats", f"--checksum-choice={HASH}", f"--out-format={OUT_FORMAT}",
         *(f"--exclude=/{name}" for name in LEFT_OUT)]
_ENV = {"LC_ALL": "C"}


#: The tools this engine runs, whose versions the run record keeps.
TOOLS = ("rsync",)

class RsyncMirror(OneWayMirror):
    """One-way mirror by rsync."""

    @locks.writing("rsync mirror")
    def protect(self, source: Path, target: Path, *, now: datetime,
                progress: ProgressCallback | None = None) -> RestorePoint:
        """One sync. ``progress`` hears rsync's last progress figures once it ends (rsync runs in the
        caller's process group, so that a crash fault kills it; its output is read when it ends)."""
        require_rsync()
        if not source.is_dir():
            raise UsageError(f"'{source}' is not a folder: rsync mirrors a folder")
        if target.exists() and not target.is_dir():
            raise UsageError(f"'{target}' is a file: a mirror is a folder")
        target.mkdir(parents=True, exist_ok=True)
        saved = folder.load_record(target / RECORD)
        trusted = saved is not None and not saved.get("running")
        rebuild = not trusted and bool(folder.top_names(target, left_out=LEFT_OUT))
        checksums: dict[str, str] = dict(saved["checksums"]) if trusted and saved else {}
        folder.save_record(target / RECORD, {**(saved or {}), "format": FORMAT, "running": True,
                                            "checksums": checksums})
        flags = ["--delete", "--info=progress2", *(["--checksum"] if self.checksum or rebuild else []),
                 *(["-ii"] if rebuild else [])]
        done = proc.run([*_BASE, *flags, f"{source}/", f"{target}/"], env=_ENV, check=False, what="rsync")
        errors = done.stderr.decode("utf-8", "surrogateescape")
        unreadable = [line for line in errors.splitlines() if os.strerror(errno.EIO) in line]
        if done.returncode not in (0, VANISHED) and not (done.returncode == PARTIAL and unreadable):
            raise OperationFailed(f"rsync failed with exit code {done.returncode}: {_last_line(done.stderr)}")
        out = done.stdout.decode("utf-8", "surrogateescape")
        stats, items = parse_stats(out), parse_items(out)
        checksums = apply_items(checksums, items)
        folder.save_record(target / RECORD, {
            "format": FORMAT, "engine": "rsync", "variant": self.variant, "synced_at": now.isoformat(),
            "running": False, "stats": stats.to_json(), "hash": HASH, "checksums": checksums})
        if progress is not None:
            moved = last_progress(out)
            progress(moved[0] if moved else stats.transferred_bytes, stats.transferred_bytes)
        extra: dict[str, Any] = {**stats.to_json(), "variant": self.variant, "exit_code": done.returncode,
                                 "deleted_paths": [i.name.rstrip("/") for i in items if i.deleted],
                                 "read_errors": len(unreadable), "unreadable": unreadable}
        if rebuild:
            extra["rebuilt_checksums"] = True
        return RestorePoint(POINT, now, "sync", stored_bytes=stats.literal_bytes, extra=extra)

    def points(self, target: Path) -> list[RestorePoint]:
        saved = folder.load_record(target / RECORD)
        if saved is None or "synced_at" not in saved:
            return []
        extra = {**saved.get("stats", {}), "variant": saved.get("variant", "")}
        if saved.get("running"):
            extra["interrupted"] = True  # a later run did not finish: the mirror is partly newer
        return [RestorePoint(POINT, datetime.fromisoformat(saved["synced_at"]), "sync", extra=extra)]

    def restore(self, target: Path, point_id: str, destination: Path, *, force: bool = False) -> RestoreReport:
        """The mirror copied back with rsync; what the mirror lacks is removed from ``destination``
        (``--delete``), so it must be new or empty unless ``force``."""
        self._check(target, point_id)
        check_destination(destination, force=force)
        destination.mkdir(parents=True, exist_ok=True)
        done = proc.run([*_BASE, "--delete", f"{target}/", f"{destination}/"], env=_ENV,
                        what="copying the mirror back with rsync")
        stats = parse_stats(done.stdout.decode("utf-8", "surrogateescape"))
        return RestoreReport(POINT, bytes_written=stats.literal_bytes, files=stats.transferred)

    def listing(self, target: Path, point_id: str) -> list[Listed]:
        saved = self._check(target, point_id)
        return folder.listing(target, left_out=LEFT_OUT, hashes=saved.get("checksums"), hash_name=HASH)

    def restore_paths(self, target: Path, point_id: str, paths: Sequence[str], destination: Path, *,
                      force: bool = False) -> RestoreReport:
        """Only ``paths``, with ``rsync --files-from``, each at its relative path under ``destination``."""
        self._check(target, point_id)
        check_destination(destination, force=force)
        wanted = sorted({p.strip("/") for p in paths if p.strip("/")})
        present = [p for p in wanted if os.path.lexists(target / p)]
        destination.mkdir(parents=True, exist_ok=True)
        report = RestoreReport(POINT, holes=[f"{p}: not in the mirror" for p in wanted if p not in present])
        if present:
            done = proc.run([*_BASE, "-r", "--from0", "--files-from=-", f"{target}/", f"{destination}/"],
                            input=b"\0".join(os.fsencode(p) for p in present), env=_ENV,
                            what="copying paths back from the mirror with rsync")
            stats = parse_stats(done.stdout.decode("utf-8", "surrogateescape"))
            report.bytes_written, report.files = stats.literal_bytes, stats.transferred
        return report

    def verify(self, target: Path) -> VerifyReport:
        """Every file of the mirror against the MD5 rsync reported when it wrote it (see the module)."""
        saved = self._check(target, POINT)
        expected: dict[str, str] = dict(saved.get("checksums") or {})
        report = VerifyReport()
        for rel, info in folder.walk(target, left_out=LEFT_OUT):
            if not stat.S_ISREG(info.st_mode):
                continue
            report.checked += 1
            want = expected.pop(rel, None)
            try:
                have = _md5(target / rel)
            except OSError as exc:
                report.damage.append(Damage("file", rel, f"unreadable: {exc.strerror}", (POINT,)))
                continue
            if want is None:
                if not saved.get("running"):
                    report.damage.append(Damage("file", rel, "not written by the last sync", (POINT,)))
            elif have != want:
                report.damage.append(Damage("file", rel, "content differs from the MD5 rsync reported "
                                            "when it wrote the file", (POINT,)))
        for rel in sorted(expected):
            report.damage.append(Damage("file", rel, "missing from the mirror since the last sync", (POINT,)))
        return report

    def footprint(self, target: Path) -> int:
        return allocated_bytes(target) if target.exists() else 0

    @staticmethod
    def _check(target: Path, point_id: str) -> dict[str, Any]:
        if point_id not in (POINT, "latest"):
            raise UsageError(f"a mirror has one restore point, 'now' (its current state), not '{point_id}'")
        saved = folder.load_record(target / RECORD)
        if saved is None or "synced_at" not in saved:
            raise UsageError(f"'{target}' is not an rsync mirror (no {RECORD}): run protect first")
        return saved


def apply_items(checksums: dict[str, str], items: Sequence[Item]) -> dict[str, str]:
    """The mirror's file -> MD5 map after a run that printed ``items`` (pure).

    A checksum rsync printed replaces the old one; a hard link takes its other
    name's; a file whose data was sent without a checksum loses its entry
    (unknown); a deletion removes the name and everything under it; a name that
    is no longer a regular file leaves the map. Untouched files keep theirs.
    """
    result = dict(checksums)
    for item in items:
        name = item.name.rstrip("/")
        if item.deleted:
            prefix = name + "/"
            for path in [p for p in result if p == name or p.startswith(prefix)]:
                del result[path]
        elif item.file_type != "f":
            result.pop(name, None)
        elif item.checksum:
            result[name] = item.checksum
        elif item.hard_link and item.link in result:
            result[name] = result[item.link]
        elif item.change[0] in "<>":
            result.pop(name, None)
    return result


@functools.cache
def require_rsync() -> tuple[int, ...]:
    """rsync's version; one line naming the package when it is missing, or the version needed when too old."""
    text = proc.version("rsync")
    if text is None:
        proc.require_tool("rsync")
        raise MissingToolError("rsync is not installed: run 'apt-get install rsync'")
    found = version_of(text)
    if found and found < NEEDED:
        raise UsageError(f"rsync {'.'.join(map(str, NEEDED))} or newer is needed (for --checksum-choice and %C); "
                         f"this one is {'.'.join(map(str, found))}")
    return found


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def make(variant: str = "", *, folders: tuple[str, ...] = (), state: Path) -> RsyncMirror:
    """The engine the catalog's ``mirror-sync/rsync`` row names: quick-check or checksum."""
    return RsyncMirror(checksum=variant == "checksum")
