"""What every external engine (a real tool run as a subprocess) shares: the tool, its secrets, its footprint.

An engine module (``restic.py``, ``borg.py``, ...) holds one class that fits
``strategies.base.Strategy`` and ``Lister`` and a factory the experiment calls::

    def make(variant: str, *, folders: tuple[str, ...], state: Path) -> Engine

``variant``: the catalog row's variant ('' when it has none); ``folders``: what the
engine covers within the tree ``protect`` is given (``()``: all of it); ``state``: a
folder of the machine's own where the tool keeps its cache and configuration (never
inside the target, which faults strike). The experiment's registry finds the module by
the catalog row's engine (``workbench.strategies.external.<engine>``) and binds the
engine to a cell by the row's family.

An engine also names, with ``data_paths``, where its stored data lies inside the target
(restic's and borg's ``data/``, not their locks or config), so target corruption strikes
what a real bit of rot would make the tool notice.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import stat
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ... import proc, workspace
from ...errors import OperationFailed, UsageError
from ..base import Listed, RestoreReport, Scope, SourceKind

#: Where the workspace keeps the secrets of encrypted repositories, as a careful user keeps them:
#: on the machine that runs the tool, never in the repository itself.
KEYS_FOLDER = "keys"


class StoresData(Protocol):
    """An engine that can say which files of its target hold the stored data."""

    def data_paths(self, target: Path) -> list[Path]:
        """The folders or files of ``target`` holding stored data (not locks, keys or configuration)."""
        ...


class FoldersEngine(ABC):
    """What the backup engines of chosen folders of a tree (restic, borg, rsnapshot) share: the settings
    ``make`` gives them, the footprint, and ``restore`` and ``restore_paths`` over their one ``_restore``."""

    name: str
    scope: Scope = "folders"
    source_kind: SourceKind = "tree"
    #: The tool's variants, the default first (``()``: it has none).
    variants: tuple[str, ...] = ()

    def __init__(self, *, folders: tuple[str, ...] = (), state: Path, variant: str = "") -> None:
        self.variant = refuse_unknown_variant(self.name, variant, self.variants)
        self.folders = folders
        self.state = state

    def footprint(self, target: Path) -> int:
        return allocated_bytes(target)

    def restore(self, target: Path, point_id: str, destination: Path, *, force: bool = False) -> RestoreReport:
        return self._restore(target, point_id, destination, (), force)

    def restore_paths(self, target: Path, point_id: str, paths: Sequence[str], destination: Path, *,
                      force: bool = False) -> RestoreReport:
        if not paths:
            raise UsageError("name at least one path to restore")
        return self._restore(target, point_id, destination, paths, force)

    @abstractmethod
    def _restore(self, target: Path, point_id: str, destination: Path, paths: Sequence[str],
                 force: bool) -> RestoreReport:
        """Bring the point back under ``destination``: all of it, or only ``paths`` when given."""


@dataclass(frozen=True)
class Need:
    """The least version of a tool the adapter needs, and what for (named in the refusal)."""

    tool: str
    version: tuple[int, ...]
    why: str

    @property
    def text(self) -> str:
        return ".".join(str(part) for part in self.version)


_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(line: str) -> tuple[int, ...] | None:
    """'restic 0.14.0 compiled with go1.19.8' -> (0, 14, 0); None when the line names no version (pure)."""
    match = _VERSION.search(line)
    if match is None:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def check_version(need: Need, line: str) -> None:
    """Refuse, in one line, a version older than ``need`` (pure: ``line`` is what the tool said)."""
    found = parse_version(line)
    if found is not None and found < need.version:
        shown = ".".join(str(part) for part in found)
        raise UsageError(f"{need.tool} {shown} is too old: the workbench needs {need.tool} {need.text} or newer "
                         f"for {need.why}; install a newer '{proc.TOOLS[need.tool].package}' package")


@functools.cache
def require(need: Need) -> str:
    """The tool's version line, once it is known to be installed (else one line naming its apt package)
    and recent enough (else one line naming the version needed)."""
    proc.require_tool(need.tool)
    line = proc.version(need.tool) or ""
    check_version(need, line)
    return line


def key_file(name: str) -> Path:
    """The secret ``name`` in the workspace's key folder, made (random, readable by its owner only) when new."""
    folder = workspace.home() / KEYS_FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
    return path


def secret(name: str) -> str:
    """The text of the secret ``name`` (see ``key_file``)."""
    return key_file(name).read_text().strip()


def allocated_bytes(root: Path) -> int:
    """Allocated bytes (``st_blocks`` × 512) of every file under ``root``, each inode once (hard links
    share their blocks, as rsnapshot's snapshots do)."""
    if not root.exists():
        return 0
    seen: set[tuple[int, int]] = set()
    total = 0
    for dirpath, dirs, files in os.walk(root):
        for name in (*files, *dirs):
            info = os.lstat(os.path.join(dirpath, name))
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total


def json_lines(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object of a tool's line-per-message output; other lines (a stray warning) are skipped."""
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(message, dict):
            yield message


def relative_to_source(path: str) -> str:
    """A tool's path of an entry ('/home/alice/a.txt', 'home/alice/a.txt') as ``Listed`` names it:
    posix, relative to the tree protect was given (pure)."""
    return path.strip("/")


def listed(entry: Mapping[str, Any], kinds: Mapping[str, str], mtime_ns: int) -> Listed:
    """One entry of a tool's JSON listing (its ``path``, ``type`` and ``size``) as ``Listed``: the type as
    ``kinds`` names it ('other' when it does not), the size of a file only (pure)."""
    kind = kinds.get(str(entry.get("type")), "other")
    return Listed(path=relative_to_source(str(entry["path"])), kind=kind,
                  size=int(entry.get("size", 0)) if kind == "file" else 0, mtime_ns=mtime_ns)


def refuse_unknown_variant(engine: str, variant: str, variants: Sequence[str]) -> str:
    """The variant, checked (the catalog checks names the user types; this catches a caller's typo)."""
    chosen = variant or (variants[0] if variants else "")
    if variants and chosen not in variants:
        raise UsageError(f"unknown variant '{variant}' of {engine}: variants are {', '.join(variants)}")
    return chosen


def tool_failed(what: str, stderr: bytes | str, returncode: int) -> OperationFailed:
    """The one-line failure of a tool's step: its last line of stderr."""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return OperationFailed(f"{what} failed: {lines[-1] if lines else f'exit code {returncode}'}")


def check_source(source: Path, folders: Sequence[str]) -> list[str]:
    """The folders to protect, each checked to exist under ``source`` (``()``: the source's own entries)."""
    if not Path(source).is_dir():
        raise UsageError(f"the source '{source}' does not exist or is not a directory: pass the folder to protect")
    if not folders:
        return sorted(entry.name for entry in os.scandir(source))
    for folder in folders:
        if not (Path(source) / folder).is_dir():
            raise UsageError(f"the folder '{folder}' does not exist in the source {source}")
    return list(folders)


def restored_totals(destination: Path, paths: Sequence[str] = ()) -> tuple[int, int]:
    """(regular files, their bytes) under ``destination`` (only under ``paths`` when given): what a restore wrote."""
    files = total = 0
    tops = [destination / p for p in paths] if paths else [destination]
    for top in tops:
        if top.is_file() and not top.is_symlink():
            files, total = files + 1, total + top.stat().st_size
            continue
        for dirpath, _dirs, names in os.walk(top):
            for name in names:
                info = os.lstat(os.path.join(dirpath, name))
                if stat.S_ISREG(info.st_mode):
                    files, total = files + 1, total + info.st_size
    return files, total


def is_new_repository(target: Path) -> bool:
    """Whether ``target`` holds nothing yet (so a repository may be made there)."""
    return not target.exists() or (target.is_dir() and not any(target.iterdir()))
