"""Workload profiles: what a disk holds and how it changes, read from ``datasets/*.yaml``.

Loading is pure (no writes) and strict: an unknown key, a wrong type or a bad
value is a ``UsageError`` naming the file, the line and the key.

The format (the shipped profiles are commented examples):

- ``description``, ``default_data_size`` (``200M``), ``users`` (names, or a count).
- ``os`` (optional): a real operating system under the generated tree; ``debian``
  installs the cached Debian root and its boot loader (see ``workload.debian``).
- ``groups``: sets of generated files. ``path`` (``{home}`` stands for every
  user's ``home/NAME``), ``content`` (a kind from ``content.STREAM_KINDS``),
  ``share`` (relative: the data size is split in proportion), ``size``
  (``[MIN, MAX]``, log-uniform; the count follows from the share, so a bigger
  data size means more files), and optionally ``names`` (words, photo,
  numbered, or a list of fixed names), ``ext``, ``per_dir`` and ``depth``
  (subfolders), ``mode``/``dir_mode`` (strings, ``"0640"``), ``owner`` (root,
  user, or ``UID:GID``), ``age_days`` (mtimes spread before day 0), ``min_files``,
  and ``zstd_ratio`` (a note: the ratio ``profile-from`` measured of the real files).
- ``specials``: one entry each (per user under ``{home}``): ``kind`` is file,
  symlink, hardlink, empty_file, empty_dir, sparse, long_name, xattr or fifo.
  Their data counts in the data size.
- ``churn``: ``active_hours: [START, END)`` and ``ops``, each an ``op``
  (create, rewrite, modify, append, delete, rename, mkdir, rmdir, sqlite,
  pages) ``in`` a group folder (or, for sqlite and pages, a file the profile
  makes), with a ``rate`` (fraction of the files the build put there, per day)
  or a ``count`` per day.
- ``tree`` (instead of ``groups``, ``specials`` and ``churn``): a user's own folder
  copied into the one user's home (``workload.tree_source``): ``source`` (the
  folder), ``exclude`` (patterns), ``churn`` (``1%/day``), and ``files`` and the
  top-level ``default_data_size`` as the folder's walk found them (walked again when
  left out).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import UsageError
from ..units import format_bytes, parse_size
from . import yamlfile
from .content import CONTENT_KINDS, STREAM_KINDS
from .tree_source import DEFAULT_CHURN, TREE_USER, TreeSource, churn_counts, parse_churn_rate
from .tree_walk import size_of, source_folder, walk

#: The shipped profiles, scenarios and claims: package data (``workbench/datasets``, in a checkout a link
#: to the top-level ``datasets/``), so an installed wheel finds them too.
DATASETS_DIR = Path(str(resources.files("workbench"))) / "datasets"
HOME = "{home}"
NAME_STYLES = ("words", "photo", "numbered")
SPECIAL_KINDS = ("file", "symlink", "hardlink", "empty_file", "empty_dir", "sparse", "long_name", "xattr", "fifo")
CHURN_OPS = ("create", "rewrite", "modify", "append", "delete", "rename", "mkdir", "rmdir", "sqlite", "pages")
OS_KINDS = ("debian",)
_USER_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj")
FIRST_UID = 1000


@dataclass(frozen=True)
class Group:
    """A set of generated files under one folder."""

    path: str
    content: str
    share: float
    size_min: int
    size_max: int
    names: str | tuple[str, ...] = "words"
    ext: tuple[str, ...] = ("",)
    per_dir: int = 0  # files per subfolder; 0 keeps them all in ``path``
    depth: int = 1  # how deep the subfolders nest
    mode: int = 0o644
    dir_mode: int = 0o755
    owner: str = "root"
    age_days: float = 30.0  # mtimes spread over this many days before the clock start
    min_files: int = 1

    @property
    def mean_size(self) -> float:
        """Mean of the log-uniform size distribution."""
        if self.size_max == self.size_min:
            return float(self.size_min)
        return (self.size_max - self.size_min) / math.log(self.size_max / self.size_min)


@dataclass(frozen=True)
class Special:
    kind: str
    path: str = ""
    target: str = ""
    to: str = ""
    content: str = "text"
    size: int = 0
    data: tuple[tuple[int, int], ...] = ()
    mode: int | None = None
    owner: str = "root"
    name: str = ""
    value: str = ""
    length: int = 0
    age_days: float = 30.0


@dataclass(frozen=True)
class ChurnOp:
    op: str
    where: str
    rate: float | None = None  # a fraction of the files the build put under ``where``
    count: int | None = None  # or a fixed number per day
    bytes: int = 4096
    rows: int = 20
    page: int = 8192
    wal: str = ""
    wal_max: int = 4 << 20


@dataclass(frozen=True)
class Profile:
    name: str
    source: Path
    description: str
    default_data_size: int
    users: tuple[str, ...]
    groups: tuple[Group, ...]
    specials: tuple[Special, ...] = ()
    churn: tuple[ChurnOp, ...] = ()
    active_hours: tuple[int, int] = (8, 18)
    os: str = ""  # "" (a generated OS part only) or one of OS_KINDS
    tree: TreeSource | None = None  # a user's folder copied in, instead of generated groups

    @property
    def home_dirs(self) -> list[str]:
        """The users' home folders, relative to the root ("home/alice")."""
        return [f"home/{user}" for user in self.users]

    def uid_of(self, user: str) -> int:
        return FIRST_UID + self.users.index(user)

    def expand(self, path: str) -> list[tuple[str, str | None]]:
        """``(path, user)`` for each user if the path holds ``{home}``, else ``[(path, None)]``."""
        if HOME not in path:
            return [(path, None)]
        return [(path.replace(HOME, f"home/{user}"), user) for user in self.users]

    def special_bytes(self) -> int:
        """The data the special entries hold (files, long names, sparse extents); it counts in the data size."""
        total = 0
        for special in self.specials:
            copies = len(self.users) if HOME in special.path else 1
            if special.kind == "file":
                total += special.size * copies
            elif special.kind == "long_name":
                total += (special.size or 1024) * copies
            elif special.kind == "sparse":
                total += sum(length for _, length in special.data) * copies
        return total

    def min_data_bytes(self) -> int:
        """The smallest data size at which every group gets its ``min_files`` files of minimum size, in bytes."""
        total_share = sum(g.share for g in self.groups)
        need = 0.0
        for group in self.groups:
            copies = len(self.users) if HOME in group.path else 1
            need = max(need, group.min_files * group.size_min * copies * total_share / group.share)
        return round(need) + self.special_bytes()

    def min_data_size(self) -> int:
        """``min_data_bytes`` rounded up to whole MiB, as the user is told it."""
        return math.ceil(self.min_data_bytes() / (1 << 20)) << 20

    def check_data_size(self, data_size: int) -> None:
        if self.tree is not None:
            if data_size != self.default_data_size:
                raise UsageError(f"profile '{self.name}' copies a folder, whose size is its own: "
                                 "leave out --data-size")
            return
        minimum = self.min_data_size()
        if data_size < min(minimum, self.min_data_bytes()):
            raise UsageError(
                f"--data-size {format_bytes(data_size)} is too small for profile '{self.name}': "
                f"use at least {minimum >> 20}M"
            )


# ---------------------------------------------------------------- loading


def known_profiles() -> list[str]:
    """The shipped profiles: the YAML files in ``datasets/`` with a top-level ``groups:`` key.

    Other YAML files live there too (scenarios, claims), so the key decides, not the folder.
    """
    return sorted(p.stem for p in DATASETS_DIR.glob("*.yaml") if _looks_like_profile(p))


def _looks_like_profile(path: Path) -> bool:
    try:
        return any(line.startswith("groups:") for line in path.read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return False


def load_profile(name_or_path: str | Path) -> Profile:
    """Load a shipped profile by name (``laptop``) or any profile file by path."""
    given = str(name_or_path)
    path = Path(given)
    if not (given.endswith((".yaml", ".yml")) or "/" in given):
        path = DATASETS_DIR / f"{given}.yaml"
        if not path.is_file() or not _looks_like_profile(path):
            raise UsageError(f"unknown profile '{given}': known profiles are {', '.join(known_profiles())}")
    elif not path.is_file():
        raise UsageError(f"profile file '{given}' does not exist; or name one of {', '.join(known_profiles())}")
    return parse_profile(yamlfile.load(path), path)


def parse_profile(doc: Any, source: Path) -> Profile:
    """Validate a loaded YAML document into a Profile (pure)."""
    top = _Section(doc, source, "the profile", _TOP_KEYS)
    if "tree" in top.doc:
        return _tree_profile(top, source)
    users = _users(top)
    profile = Profile(
        name=source.stem,
        source=source,
        description=top.get("description", str, required=True),
        default_data_size=top.get("default_data_size", parse_size, required=True),
        users=users,
        groups=tuple(_group(s) for s in top.sections("groups", _GROUP_KEYS, required=True)),
        specials=tuple(_special(s, users) for s in top.sections("specials", _SPECIAL_KEYS)),
        os=top.get("os", _os_kind, default=""),
    )
    churn = top.get("churn", dict, default=None)
    if churn is not None:
        section = _Section(churn, source, "churn", _CHURN_KEYS)
        hours = section.get("active_hours", list, default=[8, 18])
        if len(hours) != 2 or not all(isinstance(h, int) for h in hours) or not 0 <= hours[0] < hours[1] <= 24:
            section.fail("active_hours", "must be [START, END) with 0 <= START < END <= 24, like [8, 18]")
        op_sections = section.sections("ops", _OP_KEYS, required=True)
        ops = tuple(_churn_op(s) for s in op_sections)
        profile = Profile(**{**profile.__dict__, "churn": ops, "active_hours": (hours[0], hours[1])})
        _check_references(profile, op_sections)
    return profile


_TOP_KEYS = ("description", "default_data_size", "users", "groups", "specials", "churn", "os", "tree")
_TREE_KEYS = ("source", "disk", "exclude", "files", "churn")
_GROUP_KEYS = ("path", "content", "share", "size", "names", "ext", "per_dir", "depth", "mode", "dir_mode",
               "owner", "age_days", "min_files", "zstd_ratio")  # fmt: skip
_SPECIAL_KEYS = ("kind", "path", "target", "to", "content", "size", "data", "mode", "owner", "name", "value",
                 "length", "dir", "age_days")  # fmt: skip
_CHURN_KEYS = ("active_hours", "ops")
_OP_KEYS = ("op", "in", "rate", "count", "bytes", "rows", "page", "wal", "wal_max")


@dataclass
class _Section:
    """One mapping of the YAML with typed, line-aware access to its keys."""

    doc: Any
    source: Path
    where: str
    allowed: tuple[str, ...]
    line: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.line = getattr(self.doc, "line", 0)
        if not isinstance(self.doc, dict):
            raise UsageError(f"{self.source}:{self.line}: {self.where} must be a mapping of keys")
        for key in self.doc:
            if key not in self.allowed:
                raise UsageError(
                    f"{self.source}:{self._line(key)}: unknown key '{key}' in {self.where}; "
                    f"known keys: {', '.join(self.allowed)}"
                )

    def _line(self, key: str) -> int:
        lines = getattr(self.doc, "key_lines", {})
        return lines.get(key, self.line)

    def fail(self, key: str, problem: str) -> UsageError:
        raise UsageError(f"{self.source}:{self._line(key)}: key '{key}' in {self.where} {problem}")

    def get(self, key: str, kind: Callable[[Any], Any], *, required: bool = False, default: Any = None) -> Any:
        if key not in self.doc:
            if required:
                raise UsageError(f"{self.source}:{self.line}: {self.where} is missing the key '{key}'")
            return default
        value = self.doc[key]
        if isinstance(kind, type):
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
                self.fail(key, f"must be {_TYPE_NAMES.get(kind, kind.__name__)}, not {value!r}")
            return value
        try:
            return kind(value)
        except (UsageError, ValueError, TypeError) as exc:
            self.fail(key, f"has a bad value {value!r}: {exc}")

    def sections(self, key: str, allowed: tuple[str, ...], *, required: bool = False) -> list[_Section]:
        items = self.get(key, list, required=required, default=[])
        return [_Section(item, self.source, f"{key}[{i}]", allowed) for i, item in enumerate(items)]


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "a mapping"}


def _mode(value: Any) -> int:
    """Modes are written as strings ("0644"); YAML 1.1 also reads a bare 0644 as octal."""
    mode = int(value, 8) if isinstance(value, str) else int(value)
    if not 0 <= mode <= 0o7777:
        raise UsageError("a mode is between 0000 and 7777 (octal)")
    return mode


def _os_kind(value: Any) -> str:
    if value not in OS_KINDS:
        raise UsageError(f"the operating systems known are {', '.join(OS_KINDS)}")
    return str(value)


def _size_range(value: Any) -> tuple[int, int]:
    low, high = (value, value) if not isinstance(value, list) else (value + value)[:2] if len(value) == 1 else value
    low, high = parse_size(low), parse_size(high)
    if not 0 < low <= high:
        raise UsageError("write [MIN, MAX] with 0 < MIN <= MAX, like [4K, 1M]")
    return low, high


def _owner(value: Any) -> str:
    text = str(value)
    if text not in ("root", "user") and not _is_ids(text):
        raise UsageError("use root, user (the home's owner) or UID:GID")
    return text


def _is_ids(text: str) -> bool:
    parts = text.split(":")
    return len(parts) == 2 and all(p.isdigit() for p in parts)


def _relative(value: Any) -> str:
    text = str(value)
    if not text or text.startswith("/") or ".." in PurePosixPath(text).parts:
        raise UsageError("a path relative to the disk's root, without '..'")
    return text.rstrip("/")


def _users(top: _Section) -> tuple[str, ...]:
    users = top.get("users", lambda v: v, required=True)
    if isinstance(users, int) and not isinstance(users, bool) and 0 < users <= 500:
        names = list(_USER_NAMES[:users]) + [f"user{i:03d}" for i in range(len(_USER_NAMES), users)]
        return tuple(names)
    if isinstance(users, list) and users and all(isinstance(u, str) and u.isidentifier() for u in users):
        return tuple(users)
    top.fail("users", "must be a list of user names or a count from 1 to 500")
    raise AssertionError("unreachable")


def _group(s: _Section) -> Group:
    path = s.get("path", _relative, required=True)
    content = s.get("content", str, required=True)
    if content not in STREAM_KINDS:
        s.fail("content", f"must be one of {', '.join(STREAM_KINDS)}")
    share = s.get("share", float, required=True)
    if share <= 0:
        s.fail("share", "must be above 0")
    low, high = s.get("size", _size_range, required=True)
    names = s.get("names", lambda v: v, default="words")
    if isinstance(names, list) and names and all(isinstance(n, str) and "/" not in n for n in names):
        names = tuple(names)
    elif names not in NAME_STYLES:
        s.fail("names", f"must be one of {', '.join(NAME_STYLES)} or a list of file names")
    ext = s.get("ext", lambda v: tuple(v) if isinstance(v, list) else (str(v),), default=("",))
    owner = s.get("owner", _owner, default="user" if HOME in path else "root")
    if owner == "user" and HOME not in path:
        s.fail("owner", "can only be 'user' for paths under {home}")
    group = Group(
        path=path, content=content, share=share, size_min=low, size_max=high, names=names, ext=ext,
        per_dir=s.get("per_dir", int, default=0), depth=s.get("depth", int, default=1),
        mode=s.get("mode", _mode, default=0o644), dir_mode=s.get("dir_mode", _mode, default=0o755),
        owner=owner, age_days=s.get("age_days", float, default=30.0), min_files=s.get("min_files", int, default=1),
    )  # fmt: skip
    ratio = s.get("zstd_ratio", float)  # what profile-from measured of the folder's files: a note, not a knob
    if ratio is not None and ratio <= 0:
        s.fail("zstd_ratio", "must be above 0 (raw bytes over zstd bytes)")
    if group.per_dir < 0 or group.depth < 1 or group.min_files < 1:
        s.fail("per_dir", "per_dir must be >= 0, depth >= 1 and min_files >= 1")
    return group


def _special(s: _Section, users: tuple[str, ...]) -> Special:
    kind = s.get("kind", str, required=True)
    if kind not in SPECIAL_KINDS:
        s.fail("kind", f"must be one of {', '.join(SPECIAL_KINDS)}")
    needs = {"symlink": ("target",), "hardlink": ("to",), "sparse": ("size", "data"), "xattr": ("name", "value"),
             "long_name": ("dir", "length")}.get(kind, ())  # fmt: skip
    for key in needs:
        s.get(key, lambda v: v, required=True)
    path = s.get("dir" if kind == "long_name" else "path", _relative, required=True)
    content = s.get("content", str, default="sqlite" if path.endswith(".db") else "text")
    if content not in CONTENT_KINDS:
        s.fail("content", f"must be one of {', '.join(CONTENT_KINDS)}")
    data = s.get("data", lambda v: tuple((parse_size(a), parse_size(b)) for a, b in v), default=())
    length = s.get("length", int, default=0)
    if kind == "long_name" and not 20 <= length <= 255:
        s.fail("length", "must be between 20 and 255 (bytes of the file name)")
    owner = s.get("owner", _owner, default="user" if HOME in path else "root")
    return Special(
        kind=kind, path=path, target=s.get("target", str, default=""), to=s.get("to", _relative, default=""),
        content=content, size=s.get("size", parse_size, default=0), data=data, mode=s.get("mode", _mode),
        owner=owner, name=s.get("name", str, default=""), value=s.get("value", str, default=""), length=length,
        age_days=s.get("age_days", float, default=30.0),
    )  # fmt: skip


def _churn_op(s: _Section) -> ChurnOp:
    op = s.get("op", str, required=True)
    if op not in CHURN_OPS:
        s.fail("op", f"must be one of {', '.join(CHURN_OPS)}")
    rate, count = s.get("rate", float), s.get("count", int)
    if (rate is None) == (count is None):
        s.fail("rate", "give exactly one of rate (fraction of the files per day) or count (per day)")
    if (rate is not None and not 0 < rate <= 1) or (count is not None and count < 0):
        s.fail("rate" if rate is not None else "count", "rate must be in (0, 1], count >= 0")
    return ChurnOp(
        op=op, where=s.get("in", _relative, required=True), rate=rate, count=count,
        bytes=s.get("bytes", parse_size, default=4096), rows=s.get("rows", int, default=20),
        page=s.get("page", parse_size, default=8192), wal=s.get("wal", _relative, default=""),
        wal_max=s.get("wal_max", parse_size, default=4 << 20),
    )  # fmt: skip


def _tree_profile(top: _Section, source: Path) -> Profile:
    """A profile whose data is a copy of a user's folder or disk (pure, unless sizes are missing: then the
    folder is walked)."""
    tree = _Section(top.get("tree", dict, required=True), source, "tree", _TREE_KEYS)
    disk = "disk" in tree.doc
    for key in ("groups", "specials", "churn", "os", *(() if disk else ("users",))):
        if key in top.doc:
            top.fail(key, "cannot go with 'tree' (the folder is the whole workload)")
    if disk == ("source" in tree.doc):
        tree.fail("source", "or 'disk' must be given, one of them: a folder, or a disk image in the workspace")
    folder = Path(tree.get("disk" if disk else "source", str)).expanduser()
    if not folder.is_absolute():
        folder = (source.parent / folder).resolve()
    exclude = tree.get("exclude", list, default=[])
    if not all(isinstance(p, str) and p for p in exclude):
        tree.fail("exclude", "must be a list of patterns, like ['*.iso', '.cache']")
    rate = tree.get("churn", parse_churn_rate, default=parse_churn_rate(DEFAULT_CHURN))
    files, data_size = tree.get("files", int), top.get("default_data_size", parse_size)
    if files is None or data_size is None:
        if disk:
            top.fail("default_data_size", "and the tree's 'files' are needed for a disk (compare --disk writes them)")
        size = size_of(walk(source_folder(folder), exclude))
        files, data_size = size.files, max(size.allocated_bytes, 1 << 20)
    users = _users(top) if disk else (TREE_USER,)
    return Profile(
        name=source.stem, source=source, default_data_size=data_size, users=users, groups=(),
        description=top.get("description", str, default=f"The folder {folder}"),
        churn=tuple(ChurnOp(op=op, where=HOME, count=count)
                    for op, count in churn_counts(rate, round(files / len(users)))),
        tree=TreeSource(source=folder, exclude=tuple(exclude), files=files, churn_per_day=rate, disk=disk),
    )  # fmt: skip


def _check_references(profile: Profile, sections: list[_Section]) -> None:
    """Churn ops must name a group folder (or, for sqlite/pages, a file the profile makes)."""
    folders = {g.path for g in profile.groups}
    files = {s.path for s in profile.specials if s.kind == "file"} | {
        f"{g.path}/{n}" for g in profile.groups if isinstance(g.names, tuple) for n in g.names
    }
    for op, section in zip(profile.churn, sections):
        known = files if op.op in ("sqlite", "pages") else folders
        if op.where not in known:
            what = "a file the profile makes" if op.op in ("sqlite", "pages") else "a group's path"
            section.fail("in", f"names '{op.where}', which is not {what}")
