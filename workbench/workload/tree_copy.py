"""Copying a user's folder onto a disk, faithfully: hard links, holes, xattrs, modes, owners and times.

The source is only read: files are opened read-only with ``O_NOATIME`` where
the kernel allows it, so not even their access times move. The copy is the
ground truth the judge compares against, so whatever the copy cannot keep (a
socket, an xattr the target filesystem refuses) is left out of it and named in
the record, never half made.

Metadata goes on in the order that keeps it: owner first (chown clears setuid
bits and file capabilities), then the mode, then xattrs, then the times last
(the others change ctime, not mtime). Folders get theirs at the end, deepest
first, since writing into a folder moves its mtime.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..sparse import sparse_copy
from .fsops import IS_ROOT
from .tree_walk import Found, walk

_XATTR_REFUSED = (errno.EPERM, errno.ENOTSUP, errno.EACCES, errno.E2BIG, errno.ENOSPC)


@dataclass
class CopyRecord:
    files: int = 0  # regular file names, hard links included
    dirs: int = 0
    bytes_copied: int = 0  # data bytes written (holes and second names cost nothing)
    special_paths: dict[str, list[str]] = field(default_factory=dict)  # kind -> copied paths, relative to dest
    left_out: list[str] = field(default_factory=list)  # "path: why" of what the copy could not keep

    def note(self, kind: str, path: str) -> None:
        self.special_paths.setdefault(kind, []).append(path)


def copy_tree(source: Path, dest: Path, exclude: Sequence[str] = ()) -> CopyRecord:
    """Copy what is under ``source`` into the existing, empty folder ``dest``; ``dest`` gets ``source``'s metadata."""
    record = CopyRecord()
    first_name: dict[tuple[int, int], str] = {}
    folders: list[Found] = []
    for entry in walk(source, exclude):
        src, dst = source / entry.path, dest / entry.path
        mode = entry.stat.st_mode
        if entry.is_dir:
            dst.mkdir()
            folders.append(entry)
            record.dirs += 1
            continue
        if entry.is_file and entry.inode in first_name:
            os.link(dest / first_name[entry.inode], dst)
            record.files += 1
            record.note("hardlink", entry.path)
            continue
        if entry.is_file:
            record.bytes_copied += _copy_data(src, dst)
            first_name[entry.inode] = entry.path
            record.files += 1
            if entry.is_sparse:
                record.note("sparse", entry.path)
        elif entry.is_symlink:
            os.symlink(os.readlink(src), dst)
            record.note("symlink", entry.path)
        elif stat.S_ISFIFO(mode) or (IS_ROOT and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode))):
            os.mknod(dst, stat.S_IFMT(mode) | 0o600, entry.stat.st_rdev)
            record.note("fifo" if stat.S_ISFIFO(mode) else "device", entry.path)
        else:
            record.left_out.append(f"{entry.path}: a socket or device cannot be copied")
            continue
        _finish(src, dst, entry, record)
    for folder in reversed(folders):
        _finish(source / folder.path, dest / folder.path, folder, record)
    _finish(source, dest, Found("", os.lstat(source)), record)
    return record


def _copy_data(src: Path, dst: Path) -> int:
    try:
        fd_in = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOATIME)
    except PermissionError:  # O_NOATIME needs to own the file (or CAP_FOWNER)
        fd_in = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        fd_out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            return sparse_copy(fd_in, fd_out)
        finally:
            os.close(fd_out)
    finally:
        os.close(fd_in)


def _finish(src: Path, dst: Path, entry: Found, record: CopyRecord) -> None:
    st = entry.stat
    if IS_ROOT:
        os.chown(dst, st.st_uid, st.st_gid, follow_symlinks=False)
    if not entry.is_symlink:
        os.chmod(dst, stat.S_IMODE(st.st_mode))
    copied = _copy_xattrs(src, dst, entry.path, record)
    if copied and entry.path:
        record.note("xattr", entry.path)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def _copy_xattrs(src: Path, dst: Path, rel: str, record: CopyRecord) -> int:
    try:
        names = os.listxattr(src, follow_symlinks=False)
    except OSError:  # the source filesystem has none
        return 0
    copied = 0
    for name in sorted(names):
        try:
            os.setxattr(dst, name, os.getxattr(src, name, follow_symlinks=False), follow_symlinks=False)
            copied += 1
        except OSError as exc:
            if exc.errno not in _XATTR_REFUSED:
                raise
            record.left_out.append(f"{rel or '.'}: xattr {name} refused ({os.strerror(exc.errno or 0)})")
    return copied
