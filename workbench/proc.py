"""The one helper through which every external command runs.

It logs the command line, captures stderr, and turns failures into
``WorkbenchError``s a user can act on (a missing tool names its apt package).
"""

from __future__ import annotations

import logging
import os
import select
import shlex
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
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
    "tar": "tar",
    "chroot": "coreutils",
    "mshowfat": "mtools",
    "mmdebstrap": "mmdebstrap",
    "grub-mkstandalone": "grub-efi-amd64-bin",  # its x86_64-efi modules; grub-common comes with it
    "qemu-system-x86_64": "qemu-system-x86",
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


class Stream:
    """A running command whose output (stdout and stderr together) is read while it runs."""

    def __init__(self, child: subprocess.Popen[bytes]) -> None:
        self._child = child

    def read(self, wait_s: float) -> bytes | None:
        """What the command printed within ``wait_s`` seconds (``b""``: nothing yet); None once it has
        ended and all it printed was read."""
        assert self._child.stdout is not None
        fd = self._child.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], wait_s)
        if not ready:
            return b""
        data = os.read(fd, 65536)
        if data:
            return data
        self._child.wait()
        return None

    @property
    def returncode(self) -> int | None:
        """The exit code, or None while the command still runs."""
        return self._child.poll()


@contextmanager
def streaming(args: Sequence[Arg], *, env: Mapping[str, str] | None = None) -> Iterator[Stream]:
    """Run a long command (a virtual machine, an OS build) and read its output as it comes.

    ``run`` waits for the end; a boot is judged from its console while it runs,
    and stopped as soon as the verdict is known. On the way out a command still
    running gets SIGTERM, then SIGKILL after 5 s.
    """
    argv = [os.fspath(a) for a in args]
    argv[0] = require_tool(argv[0]) if os.sep not in argv[0] else argv[0]
    log.debug("run (streaming): %s", shlex.join(argv))
    full_env = None if env is None else {**os.environ, **env}
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env=full_env)
    try:
        yield Stream(child)
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if child.stdout is not None:
            child.stdout.close()
