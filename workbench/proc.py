"""The one helper through which every external command runs.

It logs the command line, captures stderr, and turns failures into
``WorkbenchError``s a user can act on (a missing tool names its apt package).
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import MissingToolError, NotRootError, OperationFailed, UsageError

log = logging.getLogger("workbench.proc")

#: Which Debian package provides each tool the workbench calls.
TOOL_PACKAGES: dict[str, str] = {
    "losetup": "mount",
    "mount": "mount",
    "umount": "mount",
    "findmnt": "util-linux",
    "blockdev": "util-linux",
    "fsfreeze": "util-linux",
    "fstrim": "util-linux",
    "sfdisk": "fdisk",
    "sgdisk": "gdisk",
    "mkfs.ext4": "e2fsprogs",
    "mke2fs": "e2fsprogs",
    "e2fsck": "e2fsprogs",
    "debugfs": "e2fsprogs",
    "dumpe2fs": "e2fsprogs",
    "tune2fs": "e2fsprogs",
    "filefrag": "e2fsprogs",
    "mkfs.fat": "dosfstools",
    "fsck.fat": "dosfstools",
    "mcopy": "mtools",
    "mdir": "mtools",
    "mmd": "mtools",
    "mkfs.btrfs": "btrfs-progs",
    "btrfs": "btrfs-progs",
    "btrfs-map-logical": "btrfs-progs",
    "rsync": "rsync",
    "unison": "unison",
    "zstd": "zstd",
    "partclone.ext4": "partclone",
    "setfattr": "attr",
    "getfattr": "attr",
    "b3sum": "b3sum",  # benchmarks/manifest.py reference
    "sha256sum": "coreutils",  # its fallback
    "find": "findutils",
    "xargs": "findutils",
    "sh": "dash",
    "restic": "restic",  # benchmarks only
    "borg": "borgbackup",  # benchmarks only
    "cp": "coreutils",
    "fusermount3": "fuse3",  # the sector server's FUSE mounts (disk/served.py)
}

Arg = str | os.PathLike[str]


def require_tool(name: str) -> str:
    """Return the full path of ``name``, or raise naming the apt package to install."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")
    if path is None:
        package = TOOL_PACKAGES.get(name, name)
        raise MissingToolError(
            f"the tool '{name}' is not installed: run 'apt-get install {package}' (or 'make setup')"
        )
    return path


def require_root(why: str) -> None:
    """Refuse to go on unless running as root, saying why root is needed."""
    if os.geteuid() != 0:
        raise NotRootError(f"{why} needs root (loop devices and mounts): run it with sudo or as root")


def run(
    args: Sequence[Arg],
    *,
    input: bytes | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    what: str | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run a command and return its completed process (stdout and stderr as bytes).

    ``what`` describes the step for the error message ("formatting the ESP").
    With ``check`` (the default) a non-zero exit raises ``OperationFailed``
    carrying the last line of stderr.
    """
    argv = [os.fspath(a) for a in args]
    argv[0] = require_tool(argv[0]) if os.sep not in argv[0] else argv[0]
    log.debug("run: %s", shlex.join(argv))
    full_env = None if env is None else {**os.environ, **env}
    try:
        done = subprocess.run(
            argv, input=input, capture_output=True, env=full_env, cwd=cwd, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise OperationFailed(f"{what or Path(argv[0]).name} timed out after {timeout:g} s") from exc
    if check and done.returncode != 0:
        raise OperationFailed(_failure_message(argv, done, what))
    return done


def text(args: Sequence[Arg], **kwargs) -> str:
    """Run a command and return its stdout decoded as text."""
    return run(args, **kwargs).stdout.decode(errors="replace")


def _failure_message(argv: list[str], done: subprocess.CompletedProcess[bytes], what: str | None) -> str:
    lines = [ln.strip() for ln in done.stderr.decode(errors="replace").splitlines() if ln.strip()]
    detail = lines[-1] if lines else f"exit code {done.returncode}"
    step = what or Path(argv[0]).name
    return f"{step} failed: {detail} (command: {shlex.join(argv)[:200]})"


def run_attached(args: Sequence[Arg], *, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run a user's command with the terminal attached (stdin/stdout/stderr passed through); return its exit code."""
    argv = [os.fspath(a) for a in args]
    log.debug("run (attached): %s", shlex.join(argv))
    full_env = None if env is None else {**os.environ, **env}
    try:
        return subprocess.run(argv, cwd=cwd, env=full_env, check=False).returncode
    except FileNotFoundError as exc:
        raise UsageError(f"command not found: '{argv[0]}'") from exc


def start_server(args: Sequence[Arg], *, log_to: Path, what: str) -> subprocess.Popen[bytes]:
    """Start a long-running helper process (a server) and return it; the caller owns stopping it.

    It runs in a session of its own, so a Ctrl-C at the terminal (sent to the whole
    foreground process group) reaches only the workbench, which then releases what
    sits on the server before stopping it. stdin is /dev/null; stdout and stderr go
    to ``log_to`` (a pipe nobody reads would fill and stall the server).
    """
    argv = [os.fspath(a) for a in args]
    argv[0] = require_tool(argv[0]) if os.sep not in argv[0] else argv[0]
    log.debug("start (%s): %s", what, shlex.join(argv))
    with open(log_to, "ab") as out:
        try:
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                    start_new_session=True, close_fds=True)
        except OSError as exc:
            raise OperationFailed(f"{what} failed to start: {exc}") from exc
