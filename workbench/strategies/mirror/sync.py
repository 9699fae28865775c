"""One-way sync with ``rsync -a --delete`` semantics (plus hard links and xattrs), our own engine.

The target becomes a plain, browsable copy of the source: creates,
modifications, deletions and renames propagate. Two ways to decide that a file
changed:

- quick-check (the default, like rsync): size or mtime differ. A file whose
  bytes changed while its size and mtime stayed the same (silent bit rot) is
  *not* copied: the mirror keeps the good copy, and nothing notices.
- checksum (like ``rsync --checksum``): files of equal size are compared by
  blake3 of both sides, so the rotted bytes *are* copied over the good ones.
  The hashes of the synced content are recorded so ``verify`` can later check
  the mirror against them.

Every file lands atomically (temporary file + rename). The record of the last
sync is ``.workbench-mirror.json`` at the target's top level; it is the only
thing in the target that is not part of the mirrored tree, and every mirror
mode leaves it (and two-way's ``.workbench-twoway.json``) out of the tree.
A damaged record (``record.DamagedRecord``) is rebuilt: the sync then compares
the whole tree, even when asked for some paths only, and writes a new record.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from ... import workers
from ...bulk import no_cycle_collection
from ...durable import sync_filesystem
from ...errors import UsageError
from ...filehash import FILE_COST_BYTES, hash_sized
from ..base import ProgressCallback
from . import plan as planning
from . import record, tree
from .record import SyncResult
from .tree import MirrorEntry

# Scanning and copying run in one thread on purpose. Measured on this machine (1 GiB, 21k
# files): scanning with threads, copying with 2 or 4 threads and hashing with 2 or 4 threads
# were each slower than one thread (GIL hand-offs around every system call, kernel
# contention). Worker processes (``workbench.workers``) can use the second core: for many
# files the target is scanned in one, and the checksum mode hashes in one per core.

#: From this many files (to hash, or seen by the last sync) on, a worker process pays for its start-up
#: (about 0.1 s): the checksum mode hashes in one per core, and the target is scanned in one while
#: this process scans the source.
WORKER_FILES = 2000


def check_pair(source: Path, target: Path) -> None:
    """Refuse a missing source or a target that overlaps it."""
    if not source.is_dir():
        raise UsageError(f"the source folder '{source}' does not exist: pass an existing directory")
    src, dst = source.resolve(), target.resolve()
    if src == dst or dst.is_relative_to(src) or src.is_relative_to(dst):
        raise UsageError(f"the target '{target}' overlaps the source '{source}': pick a target outside it")


def check_target(target: Path) -> None:
    """Refuse to turn a folder that holds other data into a mirror (its files would be deleted).

    A mirror whose record is damaged is still a mirror: the sync rebuilds the record.
    """
    if not target.is_dir() or record.has_record(target, record.SYNC_NAME):
        return
    with os.scandir(target) as listing:
        others = sorted(item.name for item in listing if item.name not in record.LEFT_OUT)
    if others:
        raise UsageError(f"the target '{target}' already holds files ({', '.join(others[:3])}) and is not a mirror: "
                         f"a sync would delete them; pick an empty folder or an existing mirror")


@no_cycle_collection()  # the plan and the record walk every entry again: see ``bulk``
def sync_tree(
    source: Path,
    target: Path,
    *,
    checksum: bool = False,
    only: Iterable[str] | None = None,
    progress: ProgressCallback | None = None,
    write_record: bool = True,
    mode: str = "sync",
    now: datetime | None = None,
    durable: bool = False,
) -> SyncResult:
    """Make ``target`` an exact copy of ``source``; ``only`` limits it to those relative paths.

    ``now`` is the time the record gives the sync (simulated time in experiments; default: the clock).
    A damaged record makes it a whole-tree sync, which rebuilds the record. ``durable``: once
    every write is done, write out the target's filesystem and then fsync the record, so that
    after a power cut the record is the last one or this one, with every file it claims; by
    default the writes are atomic but left to the kernel's writeback, as rsync leaves them.
    """
    started = time.perf_counter()
    check_pair(source, target)
    target.mkdir(parents=True, exist_ok=True)
    try:
        last = record.load_sync(target)
        rebuild = False
    except record.DamagedRecord:
        last, rebuild = None, write_record
    scope = None if only is None or rebuild else list(only)
    unreadable: list[str] = []
    large = last is not None and int(last.get("files") or 0) >= WORKER_FILES and workers.cores() > 1
    scanned_ns = time.time_ns()
    settled = record.xattrs_settled(last, source)
    unchanged: tree.Unchanged | None = None if settled is None else (settled[0], [])
    target_unchanged: tree.Unchanged | None = None if settled is None else (settled[1], [])
    # checksum mode's hashing workers start now, so their start-up overlaps the scan
    with workers.started(HASH_JOB) if checksum and large else nullcontext(None) as hashers:
        src, dst, leftovers = tree.scan_both(source, target, in_worker=large, only=scope,
                                             exclude_top=record.LEFT_OUT, unreadable=unreadable,
                                             first_unchanged=unchanged, second_unchanged=target_unchanged)
        tree.discard_all(leftovers)
        result = SyncResult()
        if unchanged is not None and target_unchanged is not None:
            _settled_xattrs(source, target, src, dst, unchanged[1], target_unchanged[1], unreadable, result)
        differs: set[str] | None = None
        renames = planning.rename_candidates(src, dst)
        if checksum:
            differs, renames = _compare_contents(source, target, src, dst, renames, result, hashers)
    todo = planning.make_plan(src, dst, content_differs=differs, renames=renames)
    if unreadable:  # what could not be read is not gone: delete nothing this time, as rsync does on I/O errors
        todo = replace(todo, removals=[(p, k) for p, k in todo.removals if p in src])
    result.unreadable = unreadable
    if write_record and not todo.empty:
        # a kill from here on leaves no point passing as this sync's or the last
        record.mark_interrupted(target, sync=durable)
    _execute(todo, source, target, src, dst, checksum, result, progress)
    written_ns = time.time_ns()  # every write of this sync is older
    followers = planning.hardlink_leaders(src)
    for path, leader in followers.items():
        if leader in result.hashes:
            result.hashes[path] = result.hashes[leader]
    result.files = sum(1 for e in src.values() if e.kind == "f")
    result.bytes = sum(e.size for p, e in src.items() if e.kind == "f" and p not in followers)
    result.seconds = time.perf_counter() - started
    if write_record:
        if durable:
            sync_filesystem(target)
        whole = scope is None and not unreadable and not result.vanished  # every entry made equal: see record
        slack = record.CLOCK_SLACK_NS
        record.save_sync(target, result, checksum=checksum, mode=mode, scope=scope, source=source, now=now,
                         settled=(scanned_ns - slack, written_ns - slack) if whole else None, sync=durable)
        if "" in src:
            _fix_dir(os.fspath(target), src[""])  # writing the record touched the top folder's mtime
    return result


def _settled_xattrs(source: Path, target: Path, src: planning.Tree, dst: planning.Tree, unread: list[str],
                    target_unread: list[str], unreadable: list[str], result: SyncResult) -> None:
    """The xattrs the scans left unread (``unread`` on the source, ``target_unread`` on the target):
    entries whose ctime says they have not changed since the last whole sync.

    That sync made every entry's xattrs on the target equal to the source's, and setting an
    xattr moves the ctime. An entry left unchanged on both sides since still has equal xattrs:
    neither is read, and the plan sees both empty, hence equal. Where only one side is unchanged,
    its xattrs are read now, so the plan compares real values. Like the size-and-mtime check of
    the content, this trusts the inode: an xattr altered without moving its ctime (a raw write
    into the disk) goes unseen, as rsync's quick check misses content changed without its mtime.
    """
    on_source, on_target = set(unread), set(target_unread)
    result.xattrs_reused += len(on_source & on_target)  # set operations: 24,000 entries in about 2 ms
    for path in on_source - on_target:
        try:
            src[path].xattrs = tree.read_xattrs(f"{source}/{path}")
        except FileNotFoundError:
            del src[path]  # vanished since the scan, as if the scan had not seen it
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            del src[path]
            unreadable.append(path)
    for path in on_target - on_source:
        try:
            dst[path].xattrs = tree.read_xattrs(f"{target}/{path}")
        except FileNotFoundError:
            del dst[path]  # gone since the scan: the plan makes it again if the source has it


def _compare_contents(
    source: Path, target: Path, src: planning.Tree, dst: planning.Tree,
    renames: list[tuple[str, str]], result: SyncResult, hashers: workers.Started | None,
) -> tuple[set[str], list[tuple[str, str]]]:
    """Hash both sides of every same-size pair (and rename guess), in ``hashers`` if started; return what
    differs."""
    pairs = [(p, p) for p in planning.same_size_pairs(src, dst)] + renames
    jobs = [f"{source}/{new}" for new, _ in pairs] + [f"{target}/{old}" for _, old in pairs]
    sizes = [src[new].size for new, _ in pairs] * 2  # a pair's sides are the same size
    digests = _hash_all(jobs, sizes, hashers)
    half = len(pairs)
    differs: set[str] = set()
    confirmed = []
    for index, (new, old) in enumerate(pairs):
        mine, theirs = digests[index], digests[half + index]
        if mine is not None:
            result.hashes[new] = mine.hex()
        same = mine is not None and mine == theirs
        if new == old and not same:
            differs.add(new)
        elif new != old and same:
            confirmed.append((new, old))
    result.hashed_files = len(jobs)
    return differs, confirmed


#: The worker job of checksum mode's hashing (``hash_share``).
HASH_JOB = f"{__name__}:hash_share"


def _hash_all(paths: list[str], sizes: list[int], hashers: workers.Started | None) -> list[bytes | None]:
    """The files' digests in order (see ``hash_share``): in the ``hashers`` worker processes if started, in
    new ones if there are many files, else here."""
    files = list(zip(paths, sizes, strict=True))
    if hashers is None and (len(paths) < WORKER_FILES or workers.cores() < 2):
        return hash_share(files, mapped=False)
    with workers.started(HASH_JOB) if hashers is None else nullcontext(hashers) as ready:
        shares = workers.split_by_cost(files, [size + FILE_COST_BYTES for size in sizes], len(ready.children))
        return [digest for share in ready.map(shares) for digest in share]


def hash_share(files: list[tuple[str, int]], *, mapped: bool) -> list[bytes | None]:
    """The digests of ``files`` (path and listed size), None for a file gone meanwhile or unreadable; a
    worker's job when ``mapped`` (``filehash.hash_sized``)."""
    digests: list[bytes | None] = []
    for path, size in files:
        try:
            digests.append(hash_sized(path, size, mapped=mapped))
        except FileNotFoundError:
            digests.append(None)
        except OSError as exc:  # a source file on a bad sector: it differs, and its copy will say it would not read
            if exc.errno != errno.EIO:
                raise
            digests.append(None)
    return digests


def _execute(
    todo: planning.SyncPlan, source: Path, target: Path,
    src: planning.Tree, dst: planning.Tree, checksum: bool, result: SyncResult,
    progress: ProgressCallback | None,
) -> None:
    base_src, base_dst = os.fspath(source), os.fspath(target)
    # A non-folder where a folder must go is removed first; other removals wait until the
    # renames have moved what they keep out of folders about to go.
    in_the_way = [(p, k) for p, k in todo.removals if p in src]
    later = [(p, k) for p, k in todo.removals if p not in src]
    for path, kind in in_the_way:
        tree.remove(f"{base_dst}/{path}", kind)
    for path in todo.mkdirs:
        os.makedirs(f"{base_dst}/{path}", mode=0o700, exist_ok=True)
    result.written += todo.mkdirs
    for old, new in todo.renames:
        os.rename(f"{base_dst}/{old}", f"{base_dst}/{new}")
        tree.apply_meta(f"{base_dst}/{new}", src[new], dst[old])
        result.renamed += 1
        result.removed.append(old)
        result.written.append(new)
    for path, kind in later:
        tree.remove(f"{base_dst}/{path}", kind)
    result.deleted += len(todo.removals)
    result.removed += [path for path, _kind in todo.removals]

    total = sum(src[p].size for p in todo.copies)
    done = 0

    def copy(path: str) -> tuple[str, bytes | None, bool | None]:
        """The path, its digest, and True when copied, False when it vanished, None when it would not read."""
        try:
            digest = tree.write_file(f"{base_src}/{path}", f"{base_dst}/{path}", src[path], hashing=checksum)
            return path, digest, True
        except FileNotFoundError:
            return path, None, False
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            return path, None, None

    for path, digest, ok in map(copy, todo.copies):
        if ok is None:
            result.unreadable.append(path)  # the mirror keeps its older copy, if it has one
            continue
        if not ok:
            result.vanished += 1
            continue
        existed = path in dst
        result.updated += existed
        result.created += not existed
        result.written.append(path)
        result.bytes_copied += src[path].size
        if digest is not None:
            result.hashes[path] = digest.hex()
        done += src[path].size
        if progress:
            progress(done, total)
    for path in todo.specials:
        tree.write_special(f"{base_dst}/{path}", src[path])
        result.created += 1
    result.written += todo.specials
    for path in todo.meta:
        tree.apply_meta(f"{base_dst}/{path}", src[path], dst[path])
        result.metadata += 1
    result.written += todo.meta
    for path, leader in todo.links:
        try:
            tree.link_file(f"{base_dst}/{leader}", f"{base_dst}/{path}")
            result.linked += 1
            result.written.append(path)
        except FileNotFoundError:
            result.vanished += 1
    for path in todo.dirs:
        _fix_dir(f"{base_dst}/{path}" if path else base_dst, src[path])


def _fix_dir(path: str, entry: MirrorEntry) -> None:
    try:
        current = tree.entry_of(path)
    except FileNotFoundError:
        return
    if not entry.same_meta(current):
        tree.apply_meta(path, entry, current)
