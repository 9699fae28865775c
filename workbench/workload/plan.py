"""The build plan: every folder and generated file of a profile, computed without touching a disk.

A pure function of (profile, data size, seed, clock start). The writer in
:mod:`workbench.workload.generate` only carries it out, and churn uses it to
turn rates ("2 % of the Documents per day") into counts.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime

from .content import derive_key, vocabulary
from .profile import HOME, Group, Profile

NS = 1_000_000_000
DAY_NS = 86_400 * NS


@dataclass(frozen=True)
class PlannedDir:
    path: str
    mode: int
    uid: int
    gid: int


@dataclass(frozen=True)
class PlannedFile:
    path: str
    content: str
    size: int
    key: bytes
    mode: int
    uid: int
    gid: int
    mtime_ns: int
    group: str  # the group's expanded path, e.g. home/alice/Documents


@dataclass(frozen=True)
class BuildPlan:
    dirs: dict[str, PlannedDir]
    files: list[PlannedFile]

    def files_under(self, folder: str) -> int:
        prefix = folder + "/"
        return sum(1 for f in self.files if f.path.startswith(prefix))


def epoch_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch of an aware (or UTC-naive) datetime, exactly."""
    delta = moment.replace(tzinfo=None) - datetime(1970, 1, 1) if moment.tzinfo is None else moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * NS + delta.microseconds * 1000


_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


def ids_for(profile: Profile, owner: str, user: str | None) -> tuple[int, int]:
    if owner == "user":
        assert user is not None, "owner 'user' outside {home} is refused when the profile loads"
        uid = profile.uid_of(user)
        return uid, uid
    if owner == "root":
        return 0, 0
    uid_text, gid_text = owner.split(":")
    return int(uid_text), int(gid_text)


def rng_for(*parts: object) -> random.Random:
    return random.Random(int.from_bytes(derive_key(*parts)[:16], "little"))


def add_dirs(plan_dirs: dict[str, PlannedDir], path: str, mode: int, uid: int, gid: int, profile: Profile) -> None:
    """Register ``path`` and its parents; the first registration of a folder wins, homes are 0750."""
    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        sub = "/".join(parts[:depth])
        if sub in plan_dirs:
            continue
        if depth == 2 and parts[0] == "home" and parts[1] in profile.users:
            uid_home = profile.uid_of(parts[1])
            plan_dirs[sub] = PlannedDir(sub, 0o750, uid_home, uid_home)
        elif depth < len(parts) and not _under_home(sub, profile):
            plan_dirs[sub] = PlannedDir(sub, 0o755, 0, 0)
        else:
            plan_dirs[sub] = PlannedDir(sub, mode, uid, gid)


def _under_home(path: str, profile: Profile) -> bool:
    parts = path.split("/")
    return len(parts) >= 2 and parts[0] == "home" and parts[1] in profile.users


def plan_build(profile: Profile, data_size: int, seed: int, start: datetime) -> BuildPlan:
    """Every folder and generated file; with the specials' data they add up to ``data_size`` exactly."""
    dirs: dict[str, PlannedDir] = {}
    files: list[PlannedFile] = []
    total_share = sum(g.share for g in profile.groups)
    start_ns = epoch_ns(start)
    data_size = max(len(profile.groups), data_size - profile.special_bytes())  # specials' data counts too
    budgets: list[tuple[Group, str, str | None, int]] = []
    for group in profile.groups:
        places = profile.expand(group.path)
        for path, user in places:
            budgets.append((group, path, user, int(data_size * group.share / total_share / len(places))))
    budgets[-1] = (*budgets[-1][:3], budgets[-1][3] + data_size - sum(b[3] for b in budgets))
    taken: set[tuple[str, str]] = set()  # (folder, name) of every group: two groups may share a folder
    for index, (group, path, user, budget) in enumerate(budgets):
        uid, gid = ids_for(profile, group.owner, user)
        add_dirs(dirs, path, group.dir_mode, uid, gid, profile)
        rng = rng_for(seed, "group", index, path)
        sizes = _sizes(group, budget, rng)
        folders = _folders(group, path, len(sizes), rng)
        for folder in sorted(set(folders)):  # not set order: it changes with PYTHONHASHSEED
            add_dirs(dirs, folder, group.dir_mode, uid, gid, profile)
        names = _names(group, len(sizes), rng, folders, spaces=HOME in group.path, taken=taken)
        age_ns = int(group.age_days * DAY_NS)
        for size, folder, name in zip(sizes, folders, names):
            file_path = f"{folder}/{name}"
            mtime = start_ns - (rng.randrange(age_ns) if age_ns else 0)
            files.append(
                PlannedFile(file_path, group.content, size, derive_key(seed, "file", file_path), group.mode,
                            uid, gid, mtime, path)  # fmt: skip
            )
    return BuildPlan(dirs, files)


def _sizes(group: Group, budget: int, rng: random.Random) -> list[int]:
    """Log-uniform sizes in the group's range, scaled so they add up to the budget."""
    if isinstance(group.names, tuple):
        count = len(group.names)
    else:
        count = max(group.min_files, round(budget / group.mean_size))
    low, high = math.log(group.size_min), math.log(group.size_max)
    raw = [math.exp(rng.uniform(low, high)) for _ in range(count)]
    scale = budget / sum(raw)
    sizes = [max(1, int(r * scale)) for r in raw]
    sizes[-1] = max(1, sizes[-1] + budget - sum(sizes))
    return sizes


def _folders(group: Group, path: str, count: int, rng: random.Random) -> list[str]:
    """Which folder each file goes to: ``per_dir`` files per subfolder, nested ``depth`` deep."""
    if not group.per_dir or count <= group.per_dir:
        return [path] * count
    leaves = math.ceil(count / group.per_dir)
    fan = max(2, math.ceil(leaves ** (1 / group.depth)))
    names: dict[str, str] = {}
    out = []
    for i in range(count):
        leaf = i // group.per_dir
        parts, prefix = [], path
        for level in range(group.depth):
            digit = (leaf // fan ** (group.depth - 1 - level)) % fan
            prefix = f"{prefix}/{digit}"
            if prefix not in names:
                names[prefix] = word_name(rng, spaces=False) + (f"-{digit}" if digit else "")
            parts.append(names[prefix])
        out.append("/".join([path, *parts]))
    return out


def word_name(rng: random.Random, *, spaces: bool) -> str:
    vocab = vocabulary()
    words = [vocab[rng.randrange(len(vocab)) >> rng.randrange(1, 4)] for _ in range(rng.randint(1, 3))]
    return " ".join(words).capitalize() if spaces else "_".join(words)


def _names(group: Group, count: int, rng: random.Random, folders: list[str], *, spaces: bool,
           taken: set[tuple[str, str]]) -> list[str]:
    """Each file's name; a name another group already took in the same folder gets a number (no draw)."""
    if isinstance(group.names, tuple):
        taken.update((folder, name) for folder, name in zip(folders, group.names))
        return list(group.names)
    first = rng.randrange(1, 9000)
    out = []
    for i, folder in enumerate(folders):
        ext = group.ext[rng.randrange(len(group.ext))]
        if group.names == "photo":
            stem = f"IMG_{first + i:05d}"
        elif group.names == "numbered":
            stem = f"part{i:06d}"
        else:
            stem = word_name(rng, spaces=spaces)
        name, n = stem + ext, 2
        while (folder, name) in taken:
            name, n = f"{stem}-{n}{ext}", n + 1
        taken.add((folder, name))
        out.append(name)
    return out
