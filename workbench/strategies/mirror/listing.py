"""Listing a plain tree of files and copying chosen paths out of it: the ``Lister`` of a tree one can read.

A mirror's folder is such a tree, and so is a block-level point's filesystem
once it is mounted read-only (an image point rebuilt in scratch space, a clone):
a user lists it with ``ls -lR``, compares contents with ``b3sum -r`` (the copies
are there to read, so the listing gives each file's blake3 as it reads back) and
copies back what they miss with ``cp -a``.
"""

from __future__ import annotations

import errno
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from ... import filehash
from ...disk.targets import check_destination
from ...errors import DamageFound, OperationFailed, UsageError
from ..base import Listed, RestoreReport
from . import tree

_KINDS = {letter: kind for kind, letter in tree.KIND_LETTERS.items()}
HASH_NAME = "blake3"


def list_tree(root: Path, *, exclude_top: Iterable[str] = ()) -> list[Listed]:
    """Every entry below ``root`` (not ``root`` itself), in path order; a hard link's names each as a
    file. Each regular file carries the blake3 of its bytes as they read (none when they cannot be read)."""
    found = tree.scan(root, exclude_top=exclude_top, xattrs=False)
    return [Listed(path=path, kind=_KINDS[entry.kind], size=entry.size, mtime_ns=entry.mtime_ns,
                   hash=digest, hash_name=HASH_NAME if digest else None)
            for path, entry in sorted(found.items()) if path
            for digest in [_read_hash(f"{root}/{path}") if entry.kind == "f" else None]]


class MountedLister(ABC):
    """The ``Lister`` of a block-level engine (an image, a clone): the point's root filesystem, mounted
    read-only by the engine's ``_mounted``, is listed with ``list_tree`` and copied from with ``copy_paths``."""

    @abstractmethod
    def _mounted(self, target: Path, point_id: str) -> AbstractContextManager[tuple[str, Path]]:
        """(the point's full id, its root filesystem mounted read-only), for the time of the ``with``."""

    def listing(self, target: Path, point_id: str) -> list[Listed]:
        """The point's root filesystem as ``ls -lR`` and ``b3sum -r`` of it, mounted read-only, show it."""
        with self._mounted(target, point_id) as (_, root):
            return list_tree(root)

    def restore_paths(self, target: Path, point_id: str, paths: Sequence[str], destination: Path, *,
                      force: bool = False) -> RestoreReport:
        """``cp -a`` of the chosen paths out of the point's root filesystem, mounted read-only."""
        check_destination(destination, force=force)  # before mounting (or rebuilding) anything
        with self._mounted(target, point_id) as (resolved, root):
            return copy_paths(root, paths, destination, point_id=resolved, force=force)


def _read_hash(path: str) -> str | None:
    try:
        return filehash.hash_file(path).hex()
    except OSError as exc:
        if exc.errno not in (errno.EIO, errno.EBADMSG):
            raise
        return None


def copy_paths(root: Path, paths: Sequence[str], destination: Path, *, point_id: str, force: bool = False,
               exclude_top: Iterable[str] = ()) -> RestoreReport:
    """Copy ``paths`` (each with what lies below it) from ``root`` to the same relative paths under
    ``destination``, with their metadata (owner, mode, times, xattrs, holes, hard links among them).

    Folders on the way that ``destination`` lacks are made with the tree's metadata. What stands at a
    path is replaced; nothing else is touched. ``destination`` must be new or empty unless ``force``.
    A file that cannot be read (an I/O error) is left out, and the call ends with ``DamageFound``
    naming it once everything else is copied, as a restore does.
    """
    check_destination(destination, force=force)
    skip = frozenset(exclude_top)
    tops = _tops(paths)
    for rel in tops:
        if not rel or ".." in rel.split("/") or rel.partition("/")[0] in skip or not os.path.lexists(root / rel):
            raise UsageError(f"'{rel}' is not in point {point_id}: list the point to see what it holds")
    destination.mkdir(parents=True, exist_ok=True)
    report = RestoreReport(point_id)
    made_dirs: list[tuple[str, tree.MirrorEntry]] = []
    for rel in tops:
        made_dirs += _make_ancestors(root, destination, rel)
    found = tree.scan(root, only=tops, exclude_top=skip)
    wanted = sorted(p for p in found if any(p == top or p.startswith(top + "/") for top in tops))
    first_names: dict[tuple[int, int], str] = {}
    try:
        _copy_wanted(root, destination, wanted, found, report, made_dirs, first_names)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise OperationFailed(f"copied {report.files} entries of point {point_id}, then the destination "
                              f"filled up ({exc.strerror}): make room and restore the rest") from exc
    for rel, entry in sorted(made_dirs, key=lambda item: item[0].count("/"), reverse=True):
        tree.apply_meta(f"{destination}/{rel}", entry)  # times last, deepest first: children move them
    if report.holes:
        raise DamageFound(f"copied {report.files} entries of point {point_id}, but {len(report.holes)} could not "
                          f"be read: {'; '.join(report.holes[:5])}")
    return report


def _copy_wanted(root: Path, destination: Path, wanted: list[str], found: dict[str, tree.MirrorEntry],
                 report: RestoreReport, made_dirs: list[tuple[str, tree.MirrorEntry]],
                 first_names: dict[tuple[int, int], str]) -> None:
    """The copy itself, entry by entry in order; a full destination ends it with its OSError."""
    for rel in wanted:
        entry = found[rel]
        target = f"{destination}/{rel}"
        if entry.kind == "d":
            _clear(target, keep_dir=True)
            os.makedirs(target, exist_ok=True)
            made_dirs.append((rel, entry))
            continue
        _clear(target, keep_dir=False)
        if entry.kind == "f" and entry.nlink > 1 and (entry.dev, entry.ino) in first_names:
            tree.link_file(f"{destination}/{first_names[(entry.dev, entry.ino)]}", target)
        elif entry.kind == "f":
            try:
                tree.write_file(f"{root}/{rel}", target, entry)
            except OSError as exc:
                if exc.errno not in (errno.EIO, errno.EBADMSG):
                    raise
                report.holes.append(f"{rel}: {exc.strerror}")
                continue
            first_names[(entry.dev, entry.ino)] = rel
            report.bytes_written += entry.size
        else:
            tree.write_special(target, entry)
        report.files += 1


def _tops(paths: Iterable[str]) -> list[str]:
    """The given relative paths without those lying below another one of them."""
    chosen: list[str] = []
    for rel in sorted({p.strip("/") for p in paths}, key=lambda p: (p.count("/"), p)):
        parts = rel.split("/")
        if not any("/".join(parts[:depth]) in chosen for depth in range(1, len(parts))):
            chosen.append(rel)
    return sorted(chosen)


def _make_ancestors(root: Path, destination: Path, rel: str) -> list[tuple[str, tree.MirrorEntry]]:
    """The folders above ``rel`` that ``destination`` lacks, made; their entries, to get their metadata last."""
    made = []
    parts = rel.split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        folder = "/".join(parts[:depth])
        target = destination / folder
        if not target.is_dir() or target.is_symlink():
            _clear(str(target), keep_dir=False)
            target.mkdir()
            made.append((folder, tree.entry_of(f"{root}/{folder}")))
    return made


def _clear(path: str, *, keep_dir: bool) -> None:
    """Make way at ``path``: remove what is there, but a real folder when ``keep_dir``."""
    if not os.path.lexists(path):
        return
    is_dir = os.path.isdir(path) and not os.path.islink(path)
    if not (keep_dir and is_dir):
        tree.remove(path, "d" if is_dir else "f")
