"""Restoring a snapshot (or one path of it) so the snapshot's tree sits at the destination's top.

Order matters for metadata: directories are made first, files are written by worker
threads (each chunk is checked against its id on the way), then hard links, symlinks
and special files; directory times go last, deepest first, because creating children
changes a directory's mtime. Owners go before modes, since chown clears setuid bits.

A damaged chunk does not stop the restore: every other file is written, the damaged
files are left out (never written with wrong bytes) and the call ends with RestoreIncomplete
naming them.

The destination must be new or empty (``targets.check_destination``); with ``force``
the snapshot is restored over what is there: what the snapshot holds replaces it,
everything else stays.
"""

from __future__ import annotations

import base64
import os
import shutil
import stat
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ...bulk import no_cycle_collection
from ...disk.targets import check_destination
from ...errors import DamageFound, RestoreIncomplete
from ..base import ProgressCallback
from .repo import ChunkDamaged, Location, Repository
from .snapshot import SnapshotEntry, in_batches, select_paths

WORKERS = (os.cpu_count() or 1) + 1  # as in create: more only add GIL hand-offs
HOLE_BLOCK = 64 << 10  # zero blocks of this size come back as holes
_ZEROS = bytes(HOLE_BLOCK)


@dataclass
class RestoreOutcome:
    files: int = 0
    bytes_written: int = 0
    damaged: list[str] = field(default_factory=list)  # "path (chunk ...: detail)"
    warnings: list[str] = field(default_factory=list)


def restore_tree(repo: Repository, tree: list[SnapshotEntry], destination: Path, paths: Sequence[str] = ("",), *,
                 force: bool = False, progress: ProgressCallback | None = None) -> RestoreOutcome:
    """Restore the entries at or under ``paths`` ("" is the whole tree), with their ancestors.

    ``progress(files written, files)`` follows each regular file, as its worker finishes it.
    """
    with no_cycle_collection():
        return _restore_tree(repo, tree, destination, paths, force=force, progress=progress)


def _restore_tree(repo: Repository, tree: list[SnapshotEntry], destination: Path, paths: Sequence[str], *,
                  force: bool, progress: ProgressCallback | None) -> RestoreOutcome:
    check_destination(destination, force=force)
    entries = select_paths(tree, paths)
    index = repo.load_index()
    destination.mkdir(parents=True, exist_ok=True)
    outcome = RestoreOutcome()
    dirs = [e for e in entries if e["type"] == "dir"]
    files = [e for e in entries if e["type"] == "file"]
    others = [e for e in entries if e["type"] not in ("dir", "file")]
    for entry in dirs:
        (destination / entry["path"]).mkdir(parents=True, exist_ok=True)
    pack_fds: dict[str, int] = {}
    try:
        for entry in files:  # open every pack the restore reads once, up front
            for chunk in entry["chunks"]:
                location = index.get(bytes.fromhex(chunk))
                if location is not None and location.pack not in pack_fds:
                    pack_fds[location.pack] = _open_pack(repo, location.pack)
        def write_batch(batch: list[SnapshotEntry]) -> list[int | str]:
            return [_write_file(repo, index, pack_fds, destination, entry) for entry in batch]

        with ThreadPoolExecutor(WORKERS, thread_name_prefix="restore") as pool:
            results = (result for batch in pool.map(write_batch, in_batches(files)) for result in batch)
            for done, (entry, result) in enumerate(zip(files, results), 1):
                if progress is not None:
                    progress(done, len(files))
                if isinstance(result, str):
                    outcome.damaged.append(f"{entry['path']} ({result})")
                else:
                    outcome.files += 1
                    outcome.bytes_written += result
    finally:
        for fd in pack_fds.values():
            os.close(fd)
    damaged_paths = {d.split(" (")[0] for d in outcome.damaged}
    for entry in others:
        if entry["type"] == "hardlink" and entry["link_to"] in damaged_paths:
            outcome.damaged.append(f"{entry['path']} (hard link to damaged {entry['link_to']})")
            continue
        _make_other(destination, entry)
        _apply_metadata(destination / entry["path"], entry, outcome)
        outcome.files += 1
    for entry in sorted(dirs, key=lambda e: e["path"].count("/"), reverse=True):
        _apply_metadata(destination / entry["path"], entry, outcome)
    return outcome


def _open_pack(repo: Repository, pack: str) -> int:
    try:
        return os.open(repo.pack_path(pack), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise DamageFound(f"pack {pack} is missing from {repo.path}: run 'workbench backup verify'") from None


def _write_file(
    repo: Repository, index: dict[bytes, Location], pack_fds: dict[str, int], destination: Path, entry: SnapshotEntry
) -> int | str:
    """Write one file and set its metadata through its descriptor; return bytes written, or a
    description of the damage that stopped it.

    Plain strings and ``f*`` calls on the open descriptor, not paths: resolving the path again
    for each of chown, chmod, setxattr and utime cost more than the syscalls themselves. The
    file is made with its own permission bits (never more: no setuid before its owner is set),
    so most files need no chmod afterwards.
    """
    target = os.path.join(destination, entry["path"])
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
    permissions = entry["mode"] & 0o777
    try:
        fd = os.open(target, flags, permissions)
    except FileExistsError:  # a forced restore over an existing tree: replace, never write through a link
        _remove_existing(Path(target))
        fd = os.open(target, flags, permissions)
    written = data_end = 0
    try:
        for chunk_hex in entry["chunks"]:
            chunk = bytes.fromhex(chunk_hex)
            location = index.get(chunk)
            if location is None:
                raise ChunkDamaged(chunk, "not in the index")
            data = repo.read_chunk(chunk, location, pack_fds[location.pack], _read_buffer(location.length))
            end = _write_leaving_holes(fd, data, written)
            written += location.raw_length
            data_end = end or data_end
        if data_end != written:
            os.ftruncate(fd, written)  # a file ending in a hole gets its full length
        _apply_file_metadata(fd, entry)
    except ChunkDamaged as damage:
        os.close(fd)
        os.unlink(target)
        return str(damage)
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return written


class _Buffers(threading.local):
    read = bytearray()


_buffers = _Buffers()


def _read_buffer(length: int) -> bytearray:
    """This thread's buffer for stored chunks, grown to ``length`` (a chunk is used before the next is read)."""
    if len(_buffers.read) < length:
        _buffers.read = bytearray(max(length, 1 << 20))
    return _buffers.read


def _write_leaving_holes(fd: int, data: bytes | memoryview, offset: int) -> int:
    """Write ``data`` at ``offset``, skipping each 64 KiB block of zeros, so holes come back as holes.

    Returns the file offset just past the last byte written (0 if all was zeros).

    Chunks do not follow a file's holes (a content-defined cut never falls inside a
    run of zeros), so the zeros are found block by block, as ``restic restore --sparse``
    does. A written block of zeros may come back as a hole: the bytes read the same.
    """
    view = memoryview(data)
    run_start: int | None = None
    end = 0
    for lo in range(0, len(data), HOLE_BLOCK):
        hi = min(lo + HOLE_BLOCK, len(data))
        # the first byte rules out almost every block of data; a block is zeros if it begins _ZEROS
        # (memcmp; a memoryview's == compares element by element, a hundred times slower)
        if data[lo] == 0 and _ZEROS.startswith(view[lo:hi]):
            if run_start is not None:
                _pwrite_all(fd, view[run_start:lo], offset + run_start)
                end = offset + lo
                run_start = None
        elif run_start is None:
            run_start = lo
    if run_start is not None:
        _pwrite_all(fd, view[run_start:], offset + run_start)
        end = offset + len(data)
    return end


def _pwrite_all(fd: int, data: memoryview, offset: int) -> None:
    while data:
        done = os.pwrite(fd, data, offset)
        data, offset = data[done:], offset + done


def _remove_existing(target: Path) -> None:
    if target.is_symlink() or target.exists():
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()


def _make_other(destination: Path, entry: SnapshotEntry) -> None:
    target = destination / entry["path"]
    _remove_existing(target)
    kind = entry["type"]
    if kind == "hardlink":
        os.link(destination / entry["link_to"], target)
    elif kind == "symlink":
        os.symlink(entry["target"], target)
    elif kind == "fifo":
        os.mkfifo(target, 0o600)
    elif kind in ("chardev", "blockdev"):
        os.mknod(target, 0o600 | (stat.S_IFCHR if kind == "chardev" else stat.S_IFBLK), entry["rdev"])


def _apply_file_metadata(fd: int, entry: SnapshotEntry) -> None:
    """``_apply_metadata`` of a file just written, through its descriptor: owner and mode only where
    they differ from what the new file got (each a journaled inode change), then xattrs and times."""
    st = os.fstat(fd)
    chowned = False
    if (st.st_uid, st.st_gid) != (entry["uid"], entry["gid"]):
        try:
            os.chown(fd, entry["uid"], entry["gid"])
            chowned = True  # which clears setuid and setgid bits: the chmod below runs
        except PermissionError:
            pass
    if chowned or stat.S_IMODE(st.st_mode) != entry["mode"]:
        os.chmod(fd, entry["mode"])
    for name, value in entry.get("xattrs", {}).items():
        try:
            os.setxattr(fd, name, base64.b64decode(value))
        except OSError:
            continue
    os.utime(fd, ns=(entry["atime_ns"], entry["mtime_ns"]))


def _apply_metadata(target: Path, entry: SnapshotEntry, outcome: RestoreOutcome | None) -> None:
    """Owner, mode, xattrs, then times (last, as the others change ctime but not mtime)."""
    if entry["type"] == "hardlink":
        return  # the inode's metadata comes from its first name
    symlink = entry["type"] == "symlink"
    try:
        os.chown(target, entry["uid"], entry["gid"], follow_symlinks=False)
    except PermissionError:
        if outcome is not None:
            outcome.warnings.append(f"{entry['path']}: cannot set owner (not root)")
    if not symlink:
        os.chmod(target, entry["mode"])
    for name, value in entry.get("xattrs", {}).items():
        try:
            os.setxattr(target, name, base64.b64decode(value), follow_symlinks=False)
        except OSError as exc:
            if outcome is not None:
                outcome.warnings.append(f"{entry['path']}: cannot set xattr {name} ({exc.strerror})")
    os.utime(target, ns=(entry["atime_ns"], entry["mtime_ns"]), follow_symlinks=False)


def raise_if_damaged(outcome: RestoreOutcome, snap_id: str) -> None:
    if outcome.damaged:
        shown = "; ".join(outcome.damaged[:5]) + (f"; and {len(outcome.damaged) - 5} more"
                                                  if len(outcome.damaged) > 5 else "")
        raise RestoreIncomplete(
            f"restored {outcome.files} entries of snapshot {snap_id}, but {len(outcome.damaged)} could not be "
            f"restored because stored data is damaged: {shown} (run 'workbench backup verify')"
        )
