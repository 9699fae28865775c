"""What a snapshot records: the selected tree with full metadata, one entry per path.

SnapshotEntry fields (JSON): ``path`` (relative, '/'-separated), ``type`` (file, dir, symlink,
hardlink, fifo, chardev, blockdev), ``mode`` (permission bits incl. setuid/sticky),
``uid``, ``gid``, ``mtime_ns``, ``atime_ns``, ``xattrs`` ({name: base64}), and by type:
``size`` + ``chunks`` (hex ids) + ``blake3`` (the whole content's hash, hex; absent in
snapshots of older versions) for files, ``target`` for symlinks, ``link_to`` (the path
of the first name of the same inode) for hard links, ``rdev`` for device nodes.
``inode`` and ``ctime_ns`` are kept only for change detection in the next incremental.
Sockets are skipped: they cannot be restored meaningfully.
"""

from __future__ import annotations

import base64
import errno
import fnmatch
import os
import stat
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import UsageError
from ..base import Listed

SnapshotEntry = dict[str, Any]
#: A file entry's whole-content blake3 (hex, of the bytes read), so that a listing can tell a file's
#: content without reading the repository (recovery compares it with the live file).
FILE_HASH = "blake3"
SCAN_WORKERS = 8  # directories listed at once when the disk makes the scan wait (see ``_walk``)
#: Mean time per directory of a level above which the next level is listed on threads: a warm
#: listing of the laptop tree took 0.14 ms per directory, one that waits on a disk read several.
WAITED_LISTING_S = 0.001
BATCH_BYTES = 4 << 20  # a worker task: files in tree order up to this many bytes ...
BATCH_FILES = 64  # ... or this many files


@dataclass(frozen=True)
class Selection:
    """Which part of the source a backup takes.

    ``folders``: top-level paths under the source root (all of it when empty).
    ``exclude``: a pattern without '/' matches any path component (``*.tmp``, ``cache``);
    one with '/' matches the path from the root (``home/*/Downloads``).
    ``include``: when given, only paths matching one (or lying under a match) are kept.
    """

    folders: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def excluded(self, rel: str) -> bool:
        return any(_matches(pattern, rel) for pattern in self.exclude)

    def included(self, rel: str) -> bool:
        """True if ``rel`` or one of its ancestors matches an include pattern (or none are given)."""
        if not self.include:
            return True
        parts = rel.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        return any(_matches(pattern, prefix) for pattern in self.include for prefix in prefixes)

    def to_json(self) -> dict[str, list[str]]:
        return {"folders": list(self.folders), "include": list(self.include), "exclude": list(self.exclude)}


def _matches(pattern: str, rel: str) -> bool:
    pattern = pattern.strip("/")
    if "/" in pattern:
        parts = rel.split("/")
        # a pattern naming a directory also covers everything under it
        return any(fnmatch.fnmatchcase("/".join(parts[: i + 1]), pattern) for i in range(len(parts)))
    return any(fnmatch.fnmatchcase(part, pattern) for part in rel.split("/"))


def start_points(root: Path, selection: Selection) -> list[str]:
    """The relative folders to walk, each checked to exist (one clear error if not)."""
    if not root.is_dir():
        raise UsageError(f"the source '{root}' is not a directory: pass the folder to protect")
    if not selection.folders:
        return [""]
    starts = []
    for folder in selection.folders:
        rel = folder.strip("/")
        if not rel or ".." in rel.split("/"):
            raise UsageError(f"'{folder}' is not a folder inside the source: name it relative to the source root")
        if not (root / rel).is_dir() or (root / rel).is_symlink():
            raise UsageError(f"the folder '{folder}' does not exist in the source {root}: check --folders")
        starts.append(rel)
    return sorted(set(starts))


def scan(root: Path, selection: Selection, unreadable: list[str] | None = None,
         known: KnownXattrs | None = None) -> list[SnapshotEntry]:
    """Stat the selected tree; parents come before their children, siblings by name.

    ``unreadable``: a folder the disk cannot list, or an entry it cannot stat (EIO), is left out and its
    path appended there, and the scan goes on (without it, the error is raised).
    ``known``: the base snapshot's xattrs (see ``KnownXattrs``).
    """
    reuse = known or KnownXattrs({})
    entries: list[SnapshotEntry] = []
    seen_dirs: set[str] = set()
    first_name: dict[tuple[int, int], str] = {}
    for start in start_points(root, selection):
        parts = start.split("/") if start else []
        for depth in range(1, len(parts) + 1):  # a selected folder and its ancestors, for their metadata
            rel = "/".join(parts[:depth])
            if rel not in seen_dirs:
                seen_dirs.add(rel)
                entries.append(describe(os.path.join(root, rel), rel, os.lstat(root / rel)))
        for entry in _walk(str(root), start, selection, unreadable, reuse):
            _settle_hard_link(entry, first_name)
            entries.append(entry)
    if selection.include:
        entries = _prune_empty_dirs(entries, selection)
    return entries


class KnownXattrs:
    """The base snapshot's entries by path: a file whose inode and ctime match its entry there keeps
    that entry's xattrs unread, since setting or removing an xattr changes the ctime.

    ``reused`` counts the files whose xattrs were not read (work avoided, which tests can assert).
    """

    def __init__(self, before: Mapping[str, SnapshotEntry]) -> None:
        self.before = before
        self.reused = 0

    def xattrs(self, rel: str, st: os.stat_result) -> dict[str, str] | None:
        """The base's xattrs of an unchanged file, or None if they must be read."""
        old = self.before.get(rel)
        if old is None or old.get("ctime_ns") != st.st_ctime_ns or old.get("inode") != st.st_ino \
                or old["type"] != "file":  # the same inode, so a regular file still
            return None
        self.reused += 1  # one thread at a time adds (the GIL), so the count is exact
        return old.get("xattrs", {})


def _walk(root: str, start: str, selection: Selection, unreadable: list[str] | None,
          reuse: KnownXattrs) -> list[SnapshotEntry]:
    """List directories level by level, then emit them in depth-first order.

    Listing and stat'ing wait on the disk (and release the GIL), so on a cold cache several
    directories in flight on threads hide that latency. On a warm one they only hand the GIL
    back and forth (a warm scan of the laptop tree: 0.32 CPU s inline, 0.47-0.63 on threads),
    so a level is listed on threads only when the level before took longer per directory than
    a warm listing does. The order stays deterministic either way.
    """
    listings: dict[str, list[SnapshotEntry]] = {}
    level = [start]

    def list_one(rel_dir: str) -> list[SnapshotEntry]:
        return _list_dir(root, rel_dir, selection, unreadable, reuse)

    on_threads = False
    with ThreadPoolExecutor(SCAN_WORKERS, thread_name_prefix="scan") as pool:  # no thread starts unless used
        while level:
            began = time.perf_counter()
            for rel_dir, children in zip(level, pool.map(list_one, level) if on_threads else map(list_one, level)):
                listings[rel_dir] = children
            on_threads = (time.perf_counter() - began) / len(level) > WAITED_LISTING_S
            level = [c["path"] for d in level for c in listings[d] if c["type"] == "dir"]
    ordered: list[SnapshotEntry] = []
    stack = [iter(listings[start])]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        ordered.append(entry)
        if entry["type"] == "dir":
            stack.append(iter(listings[entry["path"]]))
    return ordered


def _list_dir(root: str, rel_dir: str, selection: Selection, unreadable: list[str] | None,
              reuse: KnownXattrs) -> list[SnapshotEntry]:
    # plain strings, not pathlib: building a Path per entry cost more than the stat itself
    try:
        with os.scandir(os.path.join(root, rel_dir) if rel_dir else root) as listing:
            children = sorted(listing, key=lambda d: d.name)
    except OSError as exc:
        if unreadable is None or exc.errno != errno.EIO:
            raise
        unreadable.append(rel_dir)  # list.append is atomic: the scan's threads share it
        return []
    described = []
    excluding, including = bool(selection.exclude), bool(selection.include)  # most backups have neither
    prefix = f"{rel_dir}/" if rel_dir else ""
    for child in children:
        rel = prefix + child.name
        if excluding and selection.excluded(rel):
            continue
        try:
            st = child.stat(follow_symlinks=False)
        except OSError as exc:
            if unreadable is None or exc.errno != errno.EIO:
                raise
            unreadable.append(rel)
            continue
        if stat.S_ISSOCK(st.st_mode):
            continue
        if including and not stat.S_ISDIR(st.st_mode) and not selection.included(rel):
            continue
        described.append(describe(child.path, rel, st, reuse.xattrs(rel, st)))
    return described


def _settle_hard_link(entry: SnapshotEntry, first_name: dict[tuple[int, int], str]) -> None:
    """The first name (in tree order) of a multiply-linked inode keeps the data; later names link to it."""
    key = entry.pop("_inode_key", None)
    if key is None:
        return
    if key not in first_name:
        first_name[key] = entry["path"]
        return
    for field in ("size", "inode", "ctime_ns", "xattrs"):
        entry.pop(field, None)
    entry.update(type="hardlink", link_to=first_name[key])


def _prune_empty_dirs(entries: list[SnapshotEntry], selection: Selection) -> list[SnapshotEntry]:
    """With include patterns, keep a directory only if it matches or holds something kept."""
    needed: set[str] = set()
    for entry in entries:
        if entry["type"] != "dir" or selection.included(entry["path"]):
            parts = entry["path"].split("/")
            needed.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return [e for e in entries if e["type"] != "dir" or e["path"] in needed]


def describe(path: str | Path, rel: str, st: os.stat_result, xattrs: dict[str, str] | None = None) -> SnapshotEntry:
    """The entry of one path; ``xattrs``, when known, are taken instead of read."""
    mode = st.st_mode
    entry: SnapshotEntry = {
        "path": rel,
        "mode": stat.S_IMODE(mode),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "mtime_ns": st.st_mtime_ns,
        "atime_ns": st.st_atime_ns,
    }
    if stat.S_ISREG(mode):  # assigned one by one, as update(**fields) builds a dict first
        entry["type"] = "file"
        entry["size"] = st.st_size
        entry["inode"] = st.st_ino
        entry["ctime_ns"] = st.st_ctime_ns
        if st.st_nlink > 1:
            entry["_inode_key"] = (st.st_dev, st.st_ino)  # resolved by _settle_hard_link, in tree order
    elif stat.S_ISDIR(mode):
        entry["type"] = "dir"
    elif stat.S_ISLNK(mode):
        entry.update(type="symlink", target=os.readlink(path))
    elif stat.S_ISFIFO(mode):
        entry["type"] = "fifo"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        entry.update(type="chardev" if stat.S_ISCHR(mode) else "blockdev", rdev=st.st_rdev)
    if xattrs is None:
        xattrs = read_xattrs(path)
    if xattrs:
        entry["xattrs"] = xattrs
    return entry


def read_xattrs(path: str | Path) -> dict[str, str]:
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    values = {}
    for name in names:
        try:
            values[name] = base64.b64encode(os.getxattr(path, name, follow_symlinks=False)).decode()
        except OSError:
            continue
    return values


def unchanged(entry: SnapshotEntry, before: SnapshotEntry | None) -> bool:
    """restic's test: a file whose size, mtime, inode and ctime all match was not modified."""
    return (  # spelled out, not all(... for k in keys): this runs once per file of every incremental
        before is not None
        and before.get("type") == "file"
        and entry["type"] == "file"
        and entry["size"] == before.get("size")
        and entry["mtime_ns"] == before.get("mtime_ns")
        and entry["inode"] == before.get("inode")
        and entry["ctime_ns"] == before.get("ctime_ns")
    )


def in_batches(files: Sequence[SnapshotEntry]) -> Iterator[list[SnapshotEntry]]:
    """File entries in tree order, a few MiB or a few dozen files per worker task (backup and restore).

    One task per small file cost more in hand-offs between threads (futures, locks, GIL
    wake-ups) than its read and hash: a third of a full backup's CPU on 2 cores.
    """
    batch: list[SnapshotEntry] = []
    size = 0
    for entry in files:
        batch.append(entry)
        size += entry["size"]
        if size >= BATCH_BYTES or len(batch) >= BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def select_paths(entries: Sequence[SnapshotEntry], paths: Sequence[str]) -> list[SnapshotEntry]:
    """Entries at or under any of ``paths``, plus their ancestors (so restore can rebuild the route to them).

    Hard links whose first name falls outside every path become plain files with that name's content.
    """
    rels = {path.strip("/") for path in paths}
    if "" in rels:
        return list(entries)
    by_path = {e["path"]: e for e in entries}
    unknown = sorted(rel for rel in rels if rel not in by_path)
    if unknown:
        raise UsageError(f"'{unknown[0]}' is not in this snapshot: list it with 'workbench backup points --json'")
    ancestors = {"/".join(rel.split("/")[:i]) for rel in rels for i in range(1, rel.count("/") + 1)}

    def chosen_path(p: str) -> bool:  # p or one of its ancestors was asked for
        parts = p.split("/")
        return any("/".join(parts[:i]) in rels for i in range(1, len(parts) + 1))

    chosen = []
    for entry in entries:
        p = entry["path"]
        if p in ancestors or chosen_path(p):
            if entry["type"] == "hardlink" and not chosen_path(entry["link_to"]):
                first = by_path[entry["link_to"]]
                entry = {**first, "path": p}
            chosen.append(entry)
    return chosen


_LISTED_KIND = {"file": "file", "hardlink": "file", "dir": "dir", "symlink": "symlink"}


def listed_entries(tree: Sequence[SnapshotEntry]) -> list[Listed]:
    """A snapshot's tree as a listing shows it: a hard link as a file, with its first name's size,
    mtime and hash."""
    by_path = {e["path"]: e for e in tree}
    listed = []
    for entry in tree:
        data = by_path[entry["link_to"]] if entry["type"] == "hardlink" else entry
        digest = data.get(FILE_HASH)
        listed.append(Listed(path=entry["path"], kind=_LISTED_KIND.get(entry["type"], "other"),
                             size=data.get("size", 0), mtime_ns=data["mtime_ns"], hash=digest,
                             hash_name=FILE_HASH if digest else None))
    return listed


def files_by_chunk(entries: Sequence[SnapshotEntry]) -> Iterator[tuple[str, str]]:
    """(chunk hex, path) for every file's chunk."""
    for entry in entries:
        for chunk in entry.get("chunks", ()):
            yield chunk, entry["path"]
