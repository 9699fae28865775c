"""The workspace: the one directory the workbench may write into.

Every disk image, target and mount point lives below it. It is
``$WORKBENCH_HOME`` or ``~/.local/share/workbench``, never relative to the
current directory, so the CLI, the tests and notebooks started from
``notebooks/`` all share it.

``resolve`` is how every user-supplied path enters the workbench: a relative
path is taken inside the workspace, an absolute one must lie inside it, and
symlinks are followed before the check, so a link that leads out is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import SafetyError, UsageError

ENV_VAR = "WORKBENCH_HOME"
NAME_MAX = 255  # bytes in one path component (Linux, every filesystem here)
PATH_MAX = 4096


def home() -> Path:
    """The workspace directory, created if needed, with symlinks resolved."""
    root = folder_from_env(ENV_VAR) or Path.home() / ".local" / "share" / "workbench"
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()


def folder_from_env(variable: str) -> Path | None:
    """The folder ``$variable`` names, or None when it is not set; it must be an absolute path."""
    configured = os.environ.get(variable)
    if not configured:
        return None
    path = Path(configured).expanduser()
    if not path.is_absolute():
        raise UsageError(f"${variable} must be an absolute path, not '{configured}'")
    return path


def mount_dir() -> Path:
    """Where the workbench makes its mount points."""
    path = home() / ".mnt"
    path.mkdir(exist_ok=True)
    return path


def is_inside(path: Path, root: Path | None = None) -> bool:
    root = root or home()
    real = Path(os.path.realpath(path))
    return real == root or real.is_relative_to(root)


def resolve(path: str | os.PathLike[str], *, must_exist: bool = False) -> Path:
    """Resolve a user path to a real path inside the workspace, or refuse.

    Symlinks (in the path or at its end) are followed first, so a link that
    leads outside is refused like any outside path.
    """
    root = home()
    _check_name(path)
    given = Path(path).expanduser()
    candidate = given if given.is_absolute() else root / given
    real = Path(os.path.realpath(candidate))
    if not (real == root or real.is_relative_to(root)):
        via = " (through a symlink)" if real != Path(os.path.abspath(candidate)) else ""
        raise SafetyError(
            f"'{path}' is outside the workspace {root}{via}: the workbench only touches its own files; "
            f"use a path inside it, or set ${ENV_VAR}"
        )
    if must_exist and not real.exists():
        raise UsageError(f"'{path}' does not exist in the workspace {root}: see 'workbench disk list'")
    return real


def _check_name(path: str | os.PathLike[str]) -> None:
    """Refuse what no filesystem takes as a name, in one line instead of an OSError later."""
    raw = os.fsencode(path)
    if b"\0" in raw:
        raise UsageError(f"{os.fsdecode(raw)!r} holds a NUL byte: no file can be named so")
    longest = max((len(part) for part in raw.split(b"/")), default=0)
    if longest > NAME_MAX:
        raise UsageError(f"'{os.fsdecode(raw)[:60]}...' has a name of {longest} bytes: the most a file name "
                         f"may have is {NAME_MAX}")
    if len(raw) > PATH_MAX:
        raise UsageError(f"'{os.fsdecode(raw)[:60]}...' is {len(raw)} bytes long: the most a path may have is "
                         f"{PATH_MAX}")


def new_file(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Resolve a path for a file about to be created; refuse to clobber unless told to."""
    real = resolve(path)
    if real.exists() and not overwrite:
        raise UsageError(f"'{path}' already exists: pick another name, or pass --force to overwrite it")
    if real.exists() and real.is_dir():
        raise UsageError(f"'{path}' is a directory, not a disk image file")
    real.parent.mkdir(parents=True, exist_ok=True)
    return real


def display(path: Path) -> str:
    """A path as the user should see it: relative to the workspace when inside."""
    root = home()
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)
