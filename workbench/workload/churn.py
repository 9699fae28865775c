"""Daily churn on a simulated clock, applied in hour slices.

A day's operations are planned up front from (profile, data size, seed, day)
alone: how many of each, at which second, with which random key. Rates are
fractions of the files the *build* put in a folder, so the plan never depends
on the tree. Only when an operation runs does it look at the tree, to pick its
file among those present (in sorted order). So applying hours 8-12 and then
13-17 gives exactly the tree that 8-17 in one go gives, and every run of
day 1 then day 2 gives the same tree.

Every touched file gets the operation's simulated time as its mtime, and so
does its folder when names in it change. The build record in the tree
(``var/lib/workbench/dataset.json``) says the last slice applied; going back in
time is refused.
"""

from __future__ import annotations

import bisect
import functools
import os
import random
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..errors import UsageError
from . import content, sqlitedb
from .fsops import DatasetState, read_state, stamp, write_file, write_state
from .plan import DAY_NS, NS, epoch_ns, ids_for, plan_build, rng_for, word_name
from .profile import HOME, ChurnOp, Group, Profile


@dataclass(frozen=True)
class PlannedOp:
    index: int
    op: ChurnOp
    where: str  # expanded: home/alice/Documents
    user: str | None
    at_ns: int  # simulated time, ns since the epoch

    @property
    def hour(self) -> int:
        return (self.at_ns // (3600 * NS)) % 24


@dataclass
class ChurnRecord:
    day: int
    hours: list[int]
    created: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    dirs_created: list[str] = field(default_factory=list)
    dirs_removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # ops with nothing to act on (e.g. no file left)

    @property
    def changed(self) -> int:
        return sum(len(names) for names in (self.created, self.modified, self.deleted, self.renamed,
                                            self.dirs_created, self.dirs_removed))  # fmt: skip


def day_start(start: datetime, day: int) -> datetime:
    return start + timedelta(days=day)


def plan_day(profile: Profile, *, data_size: int, seed: int, start: datetime, day: int) -> list[PlannedOp]:
    """Every operation of ``day``, in time order (pure)."""
    base_counts = _build_counts(profile, data_size, seed, start) if any(o.rate is not None for o in profile.churn) \
        else {}
    first, last = profile.active_hours
    day_ns = epoch_ns(start) + day * DAY_NS
    rng = rng_for(seed, "churn-day", day)
    ops: list[PlannedOp] = []
    for op in profile.churn:
        for where, user in profile.expand(op.where):
            if op.count is not None:
                count = op.count
            else:
                assert op.rate is not None  # the profile gives each op exactly one of rate and count
                count = max(1, round(op.rate * base_counts[where]))
            for _ in range(count):
                at = day_ns + first * 3600 * NS + rng.randrange((last - first) * 3600 * NS)
                ops.append(PlannedOp(len(ops), op, where, user, at))
    ops.sort(key=lambda o: (o.at_ns, o.index))
    return ops


@functools.lru_cache(maxsize=8)
def _build_counts(profile: Profile, data_size: int, seed: int, start: datetime) -> dict[str, int]:
    """How many files the build put under each folder churn acts in (cached: hourly slices ask 24 times a day)."""
    build_plan = plan_build(profile, data_size, seed, start)
    wheres = {where for op in profile.churn for where, _ in profile.expand(op.where)}
    return {where: build_plan.files_under(where) for where in wheres}


def churn(profile: Profile, root: Path, *, day: int, hours: Iterable[int] = range(24)) -> ChurnRecord:
    """Apply the operations of ``day`` that fall in ``hours`` to the built tree at ``root``.

    Seed, data size and clock start come from the build record in the tree.
    """
    state = read_state(root)
    if state.profile != profile.name:
        raise UsageError(f"this tree was built from profile '{state.profile}', not '{profile.name}'")
    hours = sorted(set(hours))
    if not hours or hours[0] < 0 or hours[-1] > 23:
        raise UsageError("hours must be within 0-23")
    if day < state.build_day:
        raise UsageError(f"day {day} is before the build day ({state.build_day}): churn can only go forward")
    if state.last_day is not None and (day, hours[0]) <= (state.last_day, state.last_hour):
        raise UsageError(
            f"day {day} hour {hours[0]} is not after the last churn applied (day {state.last_day} hour "
            f"{state.last_hour}): churn can only go forward; rebuild to start over"
        )
    start = state.start_time
    record = ChurnRecord(day, hours)
    wanted = set(hours)
    listings = _Listings()
    for planned in plan_day(profile, data_size=state.data_size, seed=state.seed, start=start, day=day):
        if planned.hour in wanted:
            key = content.derive_key(state.seed, "churn", day, planned.index)
            _apply(root, profile, planned, key, record, listings)
    state = DatasetState(**{**state.__dict__, "last_day": day, "last_hour": hours[-1]})
    write_state(root, state, epoch_ns(start) + day * DAY_NS + (hours[-1] + 1) * 3600 * NS - NS)
    return record


# ---------------------------------------------------------------- one operation


def _apply(root: Path, profile: Profile, planned: PlannedOp, key: bytes, record: ChurnRecord,
           listings: _Listings) -> None:  # fmt: skip
    op, at = planned.op, planned.at_ns
    rng = rng_for(key)
    base = root / planned.where
    group = _group_of(profile, op.where)
    label = f"{op.op} in {planned.where}"
    if op.op in ("sqlite", "pages"):
        path = base
        if not path.is_file():
            record.skipped.append(label)
            return
        if op.op == "sqlite":
            sqlitedb.update(path, key, op.rows, at // NS)
        else:
            _page_write(root, path, op, key, rng, at)
        stamp(path, at)
        stamp(path.parent, at)  # the journal (or a new WAL) came and went in this folder
        record.modified.append(planned.where)
        return
    files, dirs = listings.get(base)
    if op.op in ("create", "mkdir"):
        dirs = _own_folders(profile, planned, root, dirs)
        folder = Path(dirs[rng.randrange(len(dirs))]) if dirs else base
        if not folder.is_dir():
            record.skipped.append(label)
            return
        if op.op == "mkdir":
            folder = _new_path(folder, lambda: word_name(rng, spaces=False), rng)
            folder.mkdir()
            listings.added(folder, folder=True)
            uid, gid = ids_for(profile, group.owner, planned.user) if group else (0, 0)
            _own_dir(folder, group, uid, gid, at)
            record.dirs_created.append(_rel(root, folder))
        for _ in range(1 if op.op == "create" else 1 + rng.randrange(3)):
            created = _create(root, profile, planned, group, folder, key, rng, at)
            listings.added(root / created)
            record.created.append(created)
        stamp(folder, at)
        if op.op == "mkdir":
            stamp(folder.parent, at)
        return
    if op.op == "rmdir":
        parents = {os.path.dirname(d) for d in dirs}
        leaves = [d for d in dirs if d != str(base) and d not in parents]
        if not leaves:
            record.skipped.append(label)
            return
        victim = Path(leaves[rng.randrange(len(leaves))])
        shutil.rmtree(victim)
        listings.removed(victim)
        stamp(victim.parent, at)
        record.dirs_removed.append(_rel(root, victim))
        return
    if not files:
        record.skipped.append(label)
        return
    path = Path(files[rng.randrange(len(files))])
    if op.op == "delete":
        path.unlink()
        listings.removed(path)
        stamp(path.parent, at)
        record.deleted.append(_rel(root, path))
    elif op.op == "rename":
        stem_ext = os.path.splitext(path.name)[1]
        new = _new_path(path.parent, lambda: word_name(rng, spaces=" " in path.name) + stem_ext, rng)
        path.rename(new)
        listings.removed(path)
        listings.added(new)
        stamp(path.parent, at)
        record.renamed.append((_rel(root, path), _rel(root, new)))
    else:
        _modify(path, op, _content_of(profile, planned, path, root), key, rng, at)
        stamp(path, at)
        record.modified.append(_rel(root, path))


def _modify(path: Path, op: ChurnOp, kind: str, key: bytes, rng: random.Random, at: int) -> None:
    size = path.stat().st_size
    when = datetime.fromtimestamp(at // NS, tz=UTC)
    if op.op == "rewrite":
        new_size = max(1, int(size * rng.uniform(0.8, 1.25)))
        with open(path, "r+b") as handle:
            handle.truncate(0)
            for chunk in content.chunks(kind, key, new_size, when=when):
                handle.write(chunk)
    elif op.op == "append":
        with open(path, "ab") as handle:
            handle.write(content.generate(kind, key, op.bytes, when=when))
    else:  # modify: overwrite a block in place, size unchanged
        length = min(op.bytes, size)
        offset = rng.randrange(size - length + 1) if size else 0
        data = content.generate(kind if kind in content.STREAM_KINDS else "binary", key, length, when=when)
        with open(path, "r+b") as handle:
            handle.seek(offset)
            handle.write(data[:length])


def _page_write(root: Path, path: Path, op: ChurnOp, key: bytes, rng: random.Random, at: int) -> None:
    """Write one database page in place, and log it first in the write-ahead log (checkpointed when full)."""
    pages = max(1, path.stat().st_size // op.page)
    number = rng.randrange(pages)
    page = content.generate("pages", key, op.page)
    wal = root / op.wal if op.wal else path.with_name(path.name + "-wal")
    with open(wal, "ab") as log:
        if log.tell() + op.page + 16 > op.wal_max:
            log.truncate(0)  # checkpoint: the pages are in the database now
        log.write(number.to_bytes(8, "little") + (at // NS).to_bytes(8, "little") + page)
    stamp(wal, at)
    with open(path, "r+b") as handle:
        handle.seek(number * op.page)
        handle.write(page)


def _create(root: Path, profile: Profile, planned: PlannedOp, group: Group | None, folder: Path, key: bytes,
            rng: random.Random, at: int) -> str:  # fmt: skip
    kind = group.content if group else "binary"
    low, high = (group.size_min, group.size_max) if group else (1024, 65536)
    size = int(low * (high / low) ** rng.random())
    ext = group.ext[rng.randrange(len(group.ext))] if group else ""
    spaces = HOME in planned.op.where and kind in ("office", "text", "csv", "jpeg")
    if group is not None and group.names == "photo":
        namer = lambda: f"IMG_{rng.randrange(10000, 99999)}{ext}"  # noqa: E731 (a one-line namer either way)
    else:
        namer = lambda: word_name(rng, spaces=spaces) + ext  # noqa: E731 (a one-line namer either way)
    path = _new_path(folder, namer, rng)
    uid, gid = ids_for(profile, group.owner, planned.user) if group else (0, 0)
    file_key = content.derive_key(key, path.name)
    when = datetime.fromtimestamp(at // NS, tz=UTC)
    write_file(path, content.chunks(kind, file_key, size, when=when), mode=group.mode if group else 0o644,
               uid=uid, gid=gid, mtime_ns=at)  # fmt: skip
    return _rel(root, path)


def _own_dir(folder: Path, group: Group | None, uid: int, gid: int, at: int) -> None:
    os.chmod(folder, group.dir_mode if group else 0o755)
    if os.geteuid() == 0:
        os.chown(folder, uid, gid)
    stamp(folder, at)


def _new_path(folder: Path, namer: Callable[[], str], rng: random.Random) -> Path:
    for _ in range(100):
        candidate = folder / namer()
        if not os.path.lexists(candidate):
            return candidate
    return folder / f"new-{rng.randrange(1 << 32):08x}"


class _Listings:
    """Sorted listings of the folders ops act in, listed once per call and then kept up to date.

    Each op that adds or removes names tells the listings, which insert or
    remove them in sorted position, so they always equal a fresh listing
    (and the choice an op makes does not depend on how a day was sliced).
    """

    def __init__(self) -> None:
        self._cache: dict[str, tuple[list[str], list[str]]] = {}

    def get(self, base: Path) -> tuple[list[str], list[str]]:
        key = str(base)
        if key not in self._cache:
            self._cache[key] = _listing(key) if base.is_dir() else ([], [])
        return self._cache[key]

    def _holding(self, path: str) -> list[tuple[list[str], list[str]]]:
        return [lists for key, lists in self._cache.items() if path.startswith(key + "/")]

    def added(self, path: Path, *, folder: bool = False) -> None:
        for files, dirs in self._holding(str(path)):
            bisect.insort(dirs if folder else files, str(path))

    def removed(self, path: Path) -> None:
        """Forget a file, or a folder and everything under it."""
        text, inside = str(path), str(path) + "/"
        for files, dirs in self._holding(text):
            for names in (files, dirs):
                # Not a slice after ``text``: "a/b c" sorts between "a/b" and "a/b/x".
                names[:] = [n for n in names if n != text and not n.startswith(inside)]


def _listing(base: str) -> tuple[list[str], list[str]]:
    """Regular files and real folders under ``base`` (base included), sorted, without following symlinks."""
    files, dirs, stack = [], [base], [base]
    while stack:
        with os.scandir(stack.pop()) as it:
            for item in it:
                if item.is_dir(follow_symlinks=False):
                    dirs.append(item.path)
                    stack.append(item.path)
                elif item.is_file(follow_symlinks=False):
                    files.append(item.path)
    return sorted(files), sorted(dirs)


def _own_folders(profile: Profile, planned: PlannedOp, root: Path, dirs: list[str]) -> list[str]:
    """The folders under ``where`` that belong to no deeper group (new .doc files stay out of Sheets/)."""
    deeper = [
        path + "/"
        for group in profile.groups
        for path, user in profile.expand(group.path)
        if user == planned.user and path.startswith(planned.where + "/")
    ]
    prefixes = tuple(f"{root}/{p}" for p in deeper)
    return [d for d in dirs if not (d + "/").startswith(prefixes)] if prefixes else dirs


def _group_of(profile: Profile, where: str) -> Group | None:
    return next((g for g in profile.groups if g.path == where), None)


def _content_of(profile: Profile, planned: PlannedOp, path: Path, root: Path) -> str:
    """The content kind of the deepest group holding ``path``."""
    rel = _rel(root, path)
    best: Group | None = None
    for group in profile.groups:
        expanded = group.path.replace(HOME, f"home/{planned.user}") if planned.user else group.path
        if rel.startswith(expanded + "/") and (best is None or len(group.path) > len(best.path)):
            best = group
    return best.content if best else "binary"


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
