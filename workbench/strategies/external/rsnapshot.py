"""rsnapshot as an engine of the backup strategy: ``backup/rsnapshot``.

The classic mirror with history: each run rsyncs the folders into a new snapshot folder,
hard-linking what did not change to the snapshot before, and rotates the older ones. It keeps
versions, so it belongs to the backup family. Commands (rsnapshot 1.4, Debian 12):

- protect: ``rsnapshot -c CONF daily`` at the first run of a new day (it moves the oldest
  hourly into ``daily.0`` once there are as many hourlies as it keeps), then
  ``rsnapshot -c CONF hourly`` (rsync ``-aHAXS --delete --numeric-ids --link-dest``); the
  configuration is written into the engine's state folder, in the workspace, before each run;
- points: the snapshot folders (``hourly.0`` the newest); each folder's mtime is set to the
  point's simulated time after the run, and rsnapshot's rotations (``mv``) keep it;
- listing: the folder's tree, with the sha256 of each file from its checksum listing;
- restore: a copy back with ``rsync -aHAXS --numeric-ids`` (``--relative`` for chosen paths);
- verify: every snapshot's files against the checksum listing kept for it at protect time
  (``checksums/<time>.sha256`` in the target, in ``sha256sum`` format): rsnapshot has no check
  of its own, so this is what a careful user of it keeps.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ... import proc
from ...disk import locks
from ...disk.targets import check_destination
from ...errors import OperationFailed, RestoreIncomplete, UsageError
from ..base import Damage, Listed, ProgressCallback, RestorePoint, RestoreReport, VerifyReport
from . import rsnapshot_conf
from .base import FoldersEngine, Need, allocated_bytes, check_source, require, restored_totals, tool_failed

TOOLS = ("rsnapshot", "rsync")
NEED = Need("rsnapshot", (1, 4), "'retain' levels with link_dest")
#: rsnapshot's exit code for a run that finished with warnings (rsync could not copy a file).
WARNINGS = 2
CHECKSUMS = "checksums"
_KIND = {True: "dir", False: "file"}


class RsnapshotEngine(FoldersEngine):
    """``backup/rsnapshot``: the folders ``folders`` of the tree given to protect, as rotated snapshots."""

    name = "backup/rsnapshot"
    engine = "rsnapshot"

    # -- the Strategy protocol -------------------------------------------------------------------------------

    @locks.writing("rsnapshot folder")
    def protect(self, source: Path, target: Path, *, now: datetime,
                progress: ProgressCallback | None = None) -> RestorePoint:
        folders = check_source(source, self.folders)
        target.mkdir(parents=True, exist_ok=True)
        conf = self._write_config(source, target, folders)
        before = allocated_bytes(target)
        earlier = self._snapshots(target)
        notes: list[str] = []
        levels = [level for level, _count in rsnapshot_conf.RETAIN]
        if earlier and _time(earlier[0]).date() < now.astimezone(UTC).date():
            notes += self._rotate(conf, levels[1])
        notes += self._rotate(conf, levels[0])
        newest = target / f"{levels[0]}.0"
        if not newest.is_dir():
            raise tool_failed("rsnapshot hourly", "it made no snapshot folder", 0)
        stamp = int(now.timestamp() * 1e9)
        hashes = _hash_tree(newest / rsnapshot_conf.DATA)
        self._write_listing(target, stamp, hashes)
        os.utime(newest, ns=(stamp, stamp))
        self._drop_stale_listings(target)
        if progress is not None:
            progress(len(hashes), len(hashes))
        added = allocated_bytes(target) - before
        return RestorePoint(id=newest.name, time=_time(newest), kind="incremental" if earlier else "full",
                            parent=earlier[0].name if earlier else None, stored_bytes=max(added, 0),
                            extra={"files": len(hashes), "notes": notes,
                                   "read_errors": _read_errors(notes)})

    def points(self, target: Path) -> list[RestorePoint]:
        found = self._snapshots(target)
        return sorted((RestorePoint(id=p.name, time=_time(p), kind="snapshot") for p in found), key=lambda p: p.time)

    def verify(self, target: Path) -> VerifyReport:
        report = VerifyReport()
        digests: dict[tuple[int, int], str] = {}  # inode -> sha256: hard-linked snapshots share their files
        for snapshot in self._snapshots(target):
            listing = target / CHECKSUMS / rsnapshot_conf.listing_name(_time_ns(snapshot))
            if not listing.is_file():
                report.damage.append(Damage("point", snapshot.name, "its checksum listing is missing",
                                            (snapshot.name,)))
                continue
            for path, digest in rsnapshot_conf.parse_listing(listing.read_text()).items():
                report.checked += 1
                found = _digest(snapshot / rsnapshot_conf.DATA / path, digests)
                if found != digest:
                    why = "missing" if found is None else "content differs from its checksum"
                    report.damage.append(Damage("file", f"{snapshot.name}/{path}", why, (snapshot.name,)))
        return report

    # -- Lister, and what faults strike ---------------------------------------------------------------------------

    def listing(self, target: Path, point_id: str) -> list[Listed]:
        snapshot = self._snapshot(target, point_id)
        listing = target / CHECKSUMS / rsnapshot_conf.listing_name(_time_ns(snapshot))
        hashes = rsnapshot_conf.parse_listing(listing.read_text()) if listing.is_file() else {}
        top = snapshot / rsnapshot_conf.DATA
        found = []
        for dirpath, dirs, files in os.walk(top):
            for name in sorted(dirs) + sorted(files):
                path = Path(dirpath) / name
                info = path.lstat()
                relative = path.relative_to(top).as_posix()
                kind = "symlink" if path.is_symlink() else _KIND[path.is_dir()] if path.is_dir() or path.is_file() \
                    else "other"
                digest = hashes.get(relative) if kind == "file" else None
                found.append(Listed(relative, kind, info.st_size if kind == "file" else 0, info.st_mtime_ns,
                                    digest, "sha256" if digest else None))
        return found

    def data_paths(self, target: Path) -> list[Path]:
        """The snapshot folders: what rot would strike (not the checksum listings that judge them)."""
        return [target / s.name for s in self._snapshot_names(target)]

    # -- the tools -------------------------------------------------------------------------------------------

    def _restore(self, target: Path, point_id: str, destination: Path, paths: Sequence[str],
                 force: bool) -> RestoreReport:
        top = self._snapshot(target, point_id) / rsnapshot_conf.DATA
        check_destination(destination, force=force)
        destination.mkdir(parents=True, exist_ok=True)
        chosen = [p.strip("/") for p in paths if os.path.lexists(top / p.strip("/"))]
        sources = [f"{top}/./{p}" for p in chosen] if paths else [f"{top}/"]
        if paths and not chosen:
            return RestoreReport(point_id)
        done = proc.run(["rsync", "-aHAXS", "--numeric-ids", *(["--relative"] if paths else []), *sources,
                         f"{destination}/"], check=False, env={"LC_ALL": "C"}, what="rsync (restoring a snapshot)")
        if done.returncode != 0:
            raise RestoreIncomplete(f"rsync could not copy all of snapshot {point_id} back: "
                                    f"{_last_line(done)}") if done.returncode in (23, 24) else _failed("rsync", done)
        files, written = restored_totals(destination, chosen if paths else ())
        return RestoreReport(point_id, bytes_written=written, files=files)

    def _rotate(self, conf: Path, level: str) -> list[str]:
        """One ``rsnapshot LEVEL`` run; its warnings, as notes."""
        require(NEED)
        done = proc.run(["rsnapshot", "-c", conf, level], check=False, env={"LC_ALL": "C"},
                        what=f"rsnapshot {level}")
        if done.returncode not in (0, WARNINGS):
            raise _failed(f"rsnapshot {level}", done)
        if done.returncode != WARNINGS:
            return []
        output = (done.stdout + done.stderr).decode(errors="replace").splitlines()
        unreadable = [f"rsnapshot {level}: {line.strip()}" for line in output if os.strerror(errno.EIO) in line]
        return unreadable or [f"rsnapshot {level}: {_last_line(done)}"]

    def _write_config(self, source: Path, target: Path, folders: Sequence[str]) -> Path:
        self.state.mkdir(parents=True, exist_ok=True)
        conf = self.state / f"rsnapshot-{_slug(target)}.conf"
        tools = {tool: proc.require_tool(tool) for tool in ("cp", "rm", "rsync")}
        conf.write_text(rsnapshot_conf.config(target=target, source=Path(source).resolve(), folders=folders,
                                              lockfile=self.state / f"rsnapshot-{_slug(target)}.pid", tools=tools))
        return conf

    def _write_listing(self, target: Path, stamp: int, hashes: dict[str, str]) -> None:
        folder = target / CHECKSUMS
        folder.mkdir(exist_ok=True)
        partial = folder / (rsnapshot_conf.listing_name(stamp) + ".partial")
        partial.write_text(rsnapshot_conf.listing_text(hashes))
        partial.replace(folder / rsnapshot_conf.listing_name(stamp))

    def _drop_stale_listings(self, target: Path) -> None:
        """Listings of snapshots rsnapshot has rotated away (``rm -rf``) go too."""
        kept = {rsnapshot_conf.listing_name(_time_ns(s)) for s in self._snapshots(target)}
        for listing in (target / CHECKSUMS).iterdir():
            if listing.name not in kept:
                listing.unlink()

    def _snapshot_names(self, target: Path) -> list[rsnapshot_conf.SnapshotName]:
        if not target.is_dir():
            raise UsageError(f"'{target}' holds no rsnapshot snapshots: protect into it first")
        return rsnapshot_conf.snapshot_names(p.name for p in target.iterdir() if p.is_dir())

    def _snapshots(self, target: Path) -> list[Path]:
        """The snapshot folders, newest first."""
        return [target / s.name for s in self._snapshot_names(target)]

    def _snapshot(self, target: Path, point_id: str) -> Path:
        found = self._snapshots(target)
        if point_id == "latest" and found:
            return found[0]
        if point_id in {p.name for p in found}:
            return target / point_id
        raise UsageError(f"no snapshot '{point_id}' in {target}: see its points")


def make(variant: str = "", *, folders: tuple[str, ...] = (), state: Path) -> RsnapshotEngine:
    """The engine the catalog's ``backup/rsnapshot`` row names (it has no variants)."""
    if variant:
        raise UsageError(f"backup/rsnapshot has no variant '{variant}'")
    return RsnapshotEngine(folders=folders, state=state)


def _time_ns(snapshot: Path) -> int:
    return snapshot.stat().st_mtime_ns


def _time(snapshot: Path) -> datetime:
    nanos = _time_ns(snapshot)
    return datetime.fromtimestamp(nanos // 1_000_000_000, UTC).replace(microsecond=nanos // 1000 % 1_000_000)


def _hash_tree(top: Path) -> dict[str, str]:
    """{path relative to ``top``: sha256} of every regular file (each inode read once)."""
    digests: dict[tuple[int, int], str] = {}
    found = {}
    for dirpath, _dirs, files in os.walk(top):
        for name in files:
            path = Path(dirpath) / name
            digest = _digest(path, digests)
            if digest is not None:
                found[path.relative_to(top).as_posix()] = digest
    return found


def _digest(path: Path, cache: dict[tuple[int, int], str]) -> str | None:
    """The sha256 of a regular file (None when it is missing or not a regular file), read once per inode."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if not path.is_file() or path.is_symlink():
        return None
    key = (info.st_dev, info.st_ino)
    if key not in cache:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        cache[key] = digest.hexdigest()
    return cache[key]


def _slug(target: Path) -> str:
    return hashlib.sha256(str(Path(target).resolve()).encode()).hexdigest()[:12]


def _read_errors(notes: list[str]) -> int:
    """The read errors a run's notes tell of: each line naming an I/O error, else 1 for rsync's partial
    transfer (exit 23: rsnapshot shows only its warning, not which files rsync could not read)."""
    named = sum(os.strerror(errno.EIO) in note for note in notes)
    return named or int(any("transferred partially" in note for note in notes))


def _last_line(done: proc.Completed) -> str:
    lines = [line.strip() for line in (done.stderr or done.stdout).decode(errors="replace").splitlines()
             if line.strip()]
    return lines[-1] if lines else f"exit code {done.returncode}"


def _failed(what: str, done: proc.Completed) -> OperationFailed:
    return tool_failed(what, done.stderr or done.stdout, done.returncode)

