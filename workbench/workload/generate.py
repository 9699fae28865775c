"""Build a profile's tree into a directory (usually the mounted root of a disk).

The plan comes from :mod:`workbench.workload.plan`; this module writes it,
then adds the special entries (links, sparse files, odd names, xattrs...),
then stamps every folder with the clock start (day 0, 00:00) so the whole tree,
folders included, is a function of (profile, data size, seed, start).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..disk.workload_disk import mounted_workload
from ..errors import UsageError
from . import content, sqlitedb
from .fsops import STATE_PATH, DatasetState, finish, lchown, stamp, write_file, write_state
from .plan import DAY_NS, BuildPlan, PlannedDir, PlannedFile, add_dirs, epoch_ns, ids_for, plan_build, rng_for
from .profile import Profile, Special
from .tree_copy import copy_tree
from .tree_source import DISK_EXCLUDE
from .tree_walk import source_folder

WRITERS = 2  # the machine's cores; generation and writing overlap
DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


@dataclass(frozen=True)
class BuildRecord:
    profile: str
    seed: int
    data_size: int
    start: datetime
    files: int
    dirs: int
    bytes_written: int
    special_paths: dict[str, list[str]]  # kind -> paths made for it


def build(profile: Profile, root: Path, *, data_size: int | None = None, seed: int = 1,
          start: datetime = DEFAULT_START) -> BuildRecord:  # fmt: skip
    """Generate the profile into ``root`` (which must be empty, apart from ``lost+found``)."""
    data_size = profile.default_data_size if data_size is None else data_size
    profile.check_data_size(data_size)
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder to build a dataset into")
    leftovers = sorted(p.name for p in root.iterdir() if p.name != "lost+found")
    if leftovers:
        raise UsageError(f"{root} is not empty ({', '.join(leftovers[:3])}...): build into a fresh disk or folder")
    if profile.tree is not None:
        return _copy_folder(profile, root, data_size=data_size, seed=seed, start=start)
    plan = plan_build(profile, data_size, seed, start)
    start_ns = epoch_ns(start)
    add_dirs(plan.dirs, STATE_PATH.rsplit("/", 1)[0], 0o755, 0, 0, profile)
    for special in profile.specials:
        _register_special_dirs(plan, special, profile)
    for folder in sorted(plan.dirs):
        (root / folder).mkdir()
    content.warm({f.content for f in plan.files})
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:  # AES and write() release the GIL
        written = sum(pool.map(lambda planned: _write_planned(root, planned), plan.files))
    made: dict[str, list[str]] = {}
    for index, special in enumerate(profile.specials):
        for path, user in profile.expand(special.path):
            made.setdefault(special.kind, []).append(
                _make_special(root, special, path, user, profile, rng_seed=(seed, "special", index, path),
                              start_ns=start_ns)  # fmt: skip
            )
    state = DatasetState(profile=profile.name, seed=seed, data_size=data_size, start=start.isoformat())
    write_state(root, state, start_ns)
    stamp_dirs(root, plan.dirs.values(), start_ns)
    return BuildRecord(profile.name, seed, data_size, start, len(plan.files), len(plan.dirs), written, made)


def _copy_folder(profile: Profile, root: Path, *, data_size: int, seed: int, start: datetime) -> BuildRecord:
    """A tree profile: the user's folder copied (only read) into the one user's home, or a disk's root
    (mounted read-only) onto the root; then the state file.

    The copy keeps the source's own times, so only the folders the copy adds carry the clock start.
    """
    tree = profile.tree
    assert tree is not None
    start_ns = epoch_ns(start)
    dest = root / tree.into
    if tree.disk:
        with mounted_workload(tree.source) as source:
            copied = copy_tree(source, dest, (*tree.exclude, *DISK_EXCLUDE))
        added: tuple[str, ...] = ()
    else:
        dest.mkdir(parents=True)
        copied = copy_tree(source_folder(tree.source), dest, tree.exclude)
        added = ("home", "var", "var/lib", "var/lib/workbench")
    state = DatasetState(profile=profile.name, seed=seed, data_size=data_size, start=start.isoformat())
    write_state(root, state, start_ns)
    stamp_dirs(root, [PlannedDir(path, 0o755, 0, 0) for path in added], start_ns)
    prefix = f"{tree.into}/" if tree.into else ""
    return BuildRecord(profile.name, seed, data_size, start, copied.files, copied.dirs + len(added),
                       copied.bytes_copied,
                       {kind: [prefix + p for p in paths] for kind, paths in copied.special_paths.items()})


def _write_planned(root: Path, planned: PlannedFile) -> int:
    chunks = content.chunks(planned.content, planned.key, planned.size, when=_ns_to_time(planned.mtime_ns))
    return write_file(root / planned.path, chunks, mode=planned.mode, uid=planned.uid, gid=planned.gid,
                      mtime_ns=planned.mtime_ns)  # fmt: skip


def stamp_dirs(root: Path, dirs: Iterable[PlannedDir], mtime_ns: int) -> None:
    """Set mode, owner and mtime of folders, deepest first (so stamping a child does not touch a parent)."""
    for planned in sorted(dirs, key=lambda d: d.path.count("/"), reverse=True):
        finish(root / planned.path, mode=planned.mode, uid=planned.uid, gid=planned.gid, mtime_ns=mtime_ns)


def _ns_to_time(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC)


def _register_special_dirs(plan: BuildPlan, special: Special, profile: Profile) -> None:
    for path, user in profile.expand(special.path):
        uid, gid = ids_for(profile, special.owner, user)
        folder = path if special.kind in ("empty_dir", "long_name") else path.rsplit("/", 1)[0]
        if "/" in path or special.kind in ("empty_dir", "long_name"):
            mode = special.mode if special.kind == "empty_dir" and special.mode is not None else 0o755
            add_dirs(plan.dirs, folder, mode, uid, gid, profile)


def _make_special(root: Path, special: Special, path: str, user: str | None, profile: Profile, *,
                  rng_seed: tuple[object, ...], start_ns: int) -> str:  # fmt: skip
    """Create one special entry and return its path (relative to ``root``)."""
    rng = rng_for(*rng_seed)
    uid, gid = ids_for(profile, special.owner, user)
    mtime_ns = start_ns - rng.randrange(max(1, int(special.age_days * DAY_NS)))
    key = content.derive_key(*rng_seed)
    target = root / path
    kind = special.kind
    if kind == "file" and special.content == "sqlite":
        sqlitedb.create(target, special.size, key, stamp=mtime_ns // 1_000_000_000)
        finish(target, mode=special.mode or 0o644, uid=uid, gid=gid, mtime_ns=mtime_ns)
    elif kind == "file":
        chunks = content.chunks(special.content, key, special.size, when=_ns_to_time(mtime_ns))
        write_file(target, chunks, mode=special.mode or 0o644, uid=uid, gid=gid, mtime_ns=mtime_ns)
    elif kind == "empty_file":
        write_file(target, [], mode=special.mode or 0o644, uid=uid, gid=gid, mtime_ns=mtime_ns)
    elif kind == "symlink":
        os.symlink(special.target.replace("{home}", f"home/{user}"), target)
        lchown(target, uid, gid)
        stamp(target, mtime_ns)
    elif kind == "hardlink":
        source = special.to.replace("{home}", f"home/{user}")
        if not (root / source).is_file():
            raise UsageError(
                f"{profile.source}: hardlink '{path}' points to '{source}', which the profile does not make")
        os.link(root / source, target)
    elif kind == "sparse":
        _make_sparse(target, special, key)
        finish(target, mode=special.mode or 0o644, uid=uid, gid=gid, mtime_ns=mtime_ns)
    elif kind == "long_name":
        target = target / _long_name(special.length, rng)
        chunks = content.chunks(special.content, key, special.size or 1024)
        write_file(target, chunks, mode=special.mode or 0o644, uid=uid, gid=gid, mtime_ns=mtime_ns)
    elif kind == "fifo":
        os.mkfifo(target)
        finish(target, mode=special.mode or 0o644, uid=uid, gid=gid, mtime_ns=mtime_ns)
    elif kind == "xattr":
        os.setxattr(target, special.name, special.value.encode(), follow_symlinks=False)
    elif kind == "empty_dir":
        pass  # made with the other folders, so it is stamped with them
    return target.relative_to(root).as_posix()


def _make_sparse(target: Path, special: Special, key: bytes) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.ftruncate(fd, special.size)
        for index, (offset, length) in enumerate(special.data):
            os.pwrite(fd, content.keystream(content.derive_key(key, index), length), offset)
    finally:
        os.close(fd)


def _long_name(length: int, rng: random.Random) -> str:
    """A file name of exactly ``length`` bytes, made of words (``.txt`` at the end)."""
    vocab = content.vocabulary()
    words: list[str] = []
    while len("_".join(words)) < length:
        words.append(vocab[rng.randrange(len(vocab))])
    return "_".join(words)[: length - 4] + ".txt"
