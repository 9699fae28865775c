"""Taking one snapshot: scan, read what changed, store new chunks, commit in a safe order.

A file or folder the disk cannot read (EIO, a bad sector) is left out of the snapshot and named in its
``unreadable`` list, and the backup goes on with the rest, as restic and borg do: one bad sector must not
cost the night's backup of everything else.

Files are read, chunked, hashed and compressed by worker threads (blake3, zstd and the
chunkers release the GIL), a batch of files per task; the calling thread only appends new
blobs to the pack and keeps the tree in scan order. In-flight work is bounded so memory
stays flat on large trees. On an incremental, the scan takes unchanged files' xattrs from
the base snapshot (``KnownXattrs``), so it runs after the base is picked.
"""

from __future__ import annotations

import errno
import os
import time
from collections import deque
from collections.abc import Callable, Container
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import blake3

from ...bulk import no_cycle_collection
from ...errors import OperationFailed, UsageError
from .chunker import ChunkerParams, chunk_bounds
from .repo import Location, PackWriter, Repository, chunk_id, encode, undone_on_failure
from .snapshot import (
    FILE_HASH,
    KnownXattrs,
    Selection,
    SnapshotEntry,
    in_batches,
    scan,
    unchanged,
)

READ_BLOCK = 64 << 20  # large files are chunked through a window of this size
MAX_INFLIGHT_BYTES = 256 << 20
#: One more thread than CPUs keeps them busy while one waits on the disk; more only add hand-offs.
WORKERS = (os.cpu_count() or 1) + 1

#: One chunk as a worker hands it back: id, plain length, stored bytes (None if known) and codec.
Piece = tuple[bytes, int, "bytes | memoryview | None", int]


@dataclass(frozen=True)
class BackupRequest:
    source: Path
    now: datetime
    mode: str = "incremental"  # full | incremental | differential
    selection: Selection = Selection()
    reread: bool = False  # incremental/differential: hash every file even if it looks unchanged


@dataclass
class BackupResult:
    snapshot_id: str
    snapshot: dict[str, Any]


def pick_base(repo: Repository, mode: str) -> tuple[str | None, list[SnapshotEntry]]:
    """The snapshot whose tree serves for change detection: none (full), the last one, or the last full."""
    if mode == "full":
        return None, []
    headers = sorted(
        ((snap_id, repo.read_header(snap_id)) for snap_id in repo.snapshot_ids()),
        key=lambda item: (item[1]["time"], item[1]["created_ns"]),
    )
    if mode == "differential":
        headers = [h for h in headers if h[1]["kind"] == "full"]
    if not headers:
        return None, []
    snap_id = headers[-1][0]
    return snap_id, repo.read_snapshot(snap_id)["tree"]


def take_snapshot(
    repo: Repository, request: BackupRequest, progress: Callable[[int, int], None] | None = None
) -> BackupResult:
    if request.mode not in ("full", "incremental", "differential"):
        raise UsageError(f"unknown backup mode '{request.mode}': use full, incremental or differential")
    started = time.perf_counter()
    unreadable: list[str] = []
    with repo.lock(), no_cycle_collection():
        index = repo.load_index()
        base_id, base_tree = pick_base(repo, request.mode)
        kind = request.mode if base_id is not None else "full"
        before = {e["path"]: e for e in base_tree}
        known = KnownXattrs({} if request.reread else before)
        entries = scan(request.source, request.selection, unreadable, known)
        writer = PackWriter(repo)
        with undone_on_failure(writer, repo.path, "writing the backup"):
            stats = _store_files(repo, request, entries, before, index, writer, progress, unreadable)
            entries = [e for e in entries if e.get("type") != "unreadable"]
            stats["read_errors"] = len(unreadable)
            stats["xattrs_reused"] = known.reused
            writer.commit()
            snapshot = {
                "version": 1,
                "time": request.now.isoformat(),
                "created_ns": time.time_ns(),
                "kind": kind,
                "parent": base_id,
                "source": str(request.source),
                "selection": request.selection.to_json(),
                "stats": {**stats, "seconds": round(time.perf_counter() - started, 3)},
                "tree": entries,
                **({"unreadable": sorted(unreadable)} if unreadable else {}),
            }
            snap_id = repo.write_snapshot(snapshot)
    return BackupResult(snap_id, snapshot)


def _store_files(
    repo: Repository,
    request: BackupRequest,
    entries: list[SnapshotEntry],
    before: dict[str, SnapshotEntry],
    index: dict[bytes, Location],
    writer: PackWriter,
    progress: Callable[[int, int], None] | None,
    unreadable: list[str],
) -> dict[str, int]:
    stats = {"files": 0, "dirs": 0, "bytes": 0, "changed_files": 0, "changed_bytes": 0, "new_chunks": 0}
    todo: list[SnapshotEntry] = []
    for entry in entries:
        if entry["type"] == "dir":
            stats["dirs"] += 1
        if entry["type"] != "file":
            continue
        stats["files"] += 1
        stats["bytes"] += entry["size"]
        old = before.get(entry["path"])
        if (not request.reread and old is not None and unchanged(entry, old)
                and all(map(index.__contains__, map(bytes.fromhex, old["chunks"])))):
            entry["chunks"] = old["chunks"]
            if FILE_HASH in old:
                entry[FILE_HASH] = old[FILE_HASH]
        else:
            todo.append(entry)
    total = sum(e["size"] for e in todo)
    done = 0
    params = repo.chunker
    known = index.keys()
    source = str(request.source)  # joined as strings: a Path per file cost more than its stat
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="backup") as pool:
        pending: deque[tuple[list[SnapshotEntry], Future[list[FileRead]]]] = deque()
        inflight = 0

        def drain_one() -> None:
            nonlocal inflight, done
            batch, future = pending.popleft()
            inflight -= sum(entry["size"] for entry in batch)
            for entry, read in zip(batch, future.result()):
                if isinstance(read, _Unreadable):
                    unreadable.append(entry["path"])
                    entry["type"] = "unreadable"  # dropped from the tree before it is written
                    continue
                pieces, digest = read
                entry["chunks"] = [_keep(piece, index, writer, stats) for piece in pieces]
                entry[FILE_HASH] = digest
                entry["size"] = sum(p[1] for p in pieces)  # the bytes really read, if the file changed meanwhile
                stats["changed_files"] += 1
                stats["changed_bytes"] += entry["size"]
                done += entry["size"]
                if progress:
                    progress(done, total)

        for batch in in_batches(todo):
            files = [(os.path.join(source, entry["path"]), entry["size"]) for entry in batch]
            pending.append((batch, pool.submit(_read_files, files, params, known)))
            inflight += sum(entry["size"] for entry in batch)
            while pending and (inflight > MAX_INFLIGHT_BYTES or len(pending) > 4 * WORKERS):
                drain_one()
        while pending:
            drain_one()
    stats["stored_bytes"] = writer.stored_bytes
    return stats


def _keep(piece: Piece, index: dict[bytes, Location], writer: PackWriter, stats: dict[str, int]) -> str:
    chunk, raw_length, stored, codec = piece
    if chunk not in index:
        if stored is None:  # a worker saw it as known, but it is not: cannot happen unless the index shrank
            raise OperationFailed(f"chunk {chunk.hex()} vanished from the index during the backup")
        index[chunk] = writer.add(chunk, stored, raw_length, codec)
        stats["new_chunks"] += 1
    return chunk.hex()


def _read_files(files: list[tuple[str, int]], params: ChunkerParams, known: Container[bytes]) -> list[FileRead]:
    """``_read_file`` of each (path, size the scan saw); a file the disk cannot read is handed back as its error."""
    reads: list[FileRead] = []
    for path, size in files:
        try:
            reads.append(_read_file(path, params, known, size))
        except _Unreadable as unreadable:
            reads.append(unreadable)
    return reads


def _read_file(path: str | Path, params: ChunkerParams, known: Container[bytes],
               size: int | None = None) -> tuple[list[Piece], str]:
    """Read, chunk, hash and (for chunks not yet stored) compress one file; also the whole file's blake3.

    ``size``: what the scan saw (else fstat tells); a file that grew since is read to its end all the same.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.EIO:
            raise _Unreadable(f"cannot read {path}: input/output error") from None
        raise OperationFailed(f"cannot read {path}: {exc.strerror}") from None
    try:
        return _chunk_file(fd, os.fstat(fd).st_size if size is None else size, params, known)
    except OSError as exc:
        if exc.errno != errno.EIO:
            raise
        raise _Unreadable(f"cannot read {path}: input/output error") from None
    finally:
        os.close(fd)


class _Unreadable(OperationFailed):
    """A file the disk failed to read (EIO): the snapshot leaves it out and names it (caught in
    ``_store_files``; were it to escape, it is the read that failed)."""


#: One file as a worker hands it back: its pieces and whole-content blake3, or why the disk could not read it.
FileRead = tuple[list[Piece], str] | _Unreadable


def _chunk_file(fd: int, size: int, params: ChunkerParams, known: Container[bytes]) -> tuple[list[Piece], str]:
    # os.read(fd, n) allocates n bytes before it reads: ask for what the file holds (plus one
    # byte, to see it grow), not READ_BLOCK, or each small file costs a 64 MiB mmap and munmap.
    if size <= params.small_file:
        data = os.read(fd, size + 1)
        if not data:
            return [], blake3.blake3().hexdigest()  # an empty file has no chunks
        if len(data) == size:  # all the scan saw, and no more: its end (fewer may mean an error ahead)
            piece = _piece(memoryview(data), known)
            return [piece], piece[0].hex()  # one chunk: its id is the whole file's blake3
    return _chunk_windows(fd, size, params, known)


def _chunk_windows(fd: int, size: int, params: ChunkerParams, known: Container[bytes]) -> tuple[list[Piece], str]:
    """A large file, cut window by window; each window starts at the previous one's last cut.

    The last chunk of a window that did not reach the end may go on past it, so it is cut
    again as the start of the next window (read again with ``pread``, rather than copied
    and joined to the next block: the page cache serves it).
    """
    pieces: list[Piece] = []
    whole = blake3.blake3()
    offset = 0
    want = min(READ_BLOCK, size + 1)
    while True:
        block = os.pread(fd, want, offset)
        # a short read is the end only if nothing follows: before a bad sector, read() returns the
        # bytes up to it, and only the next read raises EIO
        at_end = len(block) < want and not os.pread(fd, 1, offset + len(block))
        view = memoryview(block)
        bounds = chunk_bounds(view, params)
        if not at_end:
            bounds.pop()
            if not bounds:  # the file grew past what fstat said: read a larger window
                want *= 2
                continue
        for start, end in bounds:
            if start == end:
                break  # the file shrank to nothing past ``offset``
            chunk = view[start:end]
            whole.update(chunk)
            pieces.append(_piece(chunk, known))
        if at_end:
            return pieces, whole.hexdigest()
        offset += bounds[-1][1]
        want = min(READ_BLOCK, max(size - offset, 0) + 1)


def _piece(data: memoryview, known: Container[bytes]) -> Piece:
    chunk = chunk_id(data)
    if chunk in known:
        return chunk, len(data), None, 0
    stored, codec = encode(data)
    return chunk, len(data), stored, codec
