"""The one helper through which every external command runs.

It logs the command line, captures stderr, and turns failures into
``WorkbenchError``s a user can act on (a missing tool names its apt package).

It also keeps privilege in one place: ``TOOLS`` marks the disk tools (losetup,
mount, mkfs, fsck, sgdisk, btrfs, debugfs, ...), and with checking on
(``WORKBENCH_CHECK_DISK_TOOLS=1``, which the test suite sets for itself and the
commands it starts) a disk tool asked for by a module outside ``workbench.disk``
is refused. ``tests/test_privilege.py`` checks the call sites by AST as well.
"""

from __future__ import annotations

import logging
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from .errors import MissingToolError, NotRootError, OperationFailed, UsageError

log = logging.getLogger("workbench.proc")

@dataclass(frozen=True)
class Tool:
    """What the workbench knows of one external tool."""

    package: str  # the Debian package that provides it
    disk: bool = False  # attaches, mounts, formats, repairs or reads a disk: only ``workbench.disk`` runs it
    version_args: tuple[str, ...] = ("--version",)  # how it names its version


#: Every tool the workbench, its tests and its benchmarks call. Each disk tool is run only
#: from ``workbench.disk`` (see ``run``); a grep cannot tell, because ``blockdev`` is also an entry type.
TOOLS: dict[str, Tool] = {
    "losetup": Tool("mount", disk=True),
    "mount": Tool("mount", disk=True),
    "umount": Tool("mount", disk=True),
    "findmnt": Tool("util-linux"),
    "blockdev": Tool("util-linux", disk=True),
    "fsfreeze": Tool("util-linux", disk=True),
    "fstrim": Tool("util-linux", disk=True),
    "sfdisk": Tool("fdisk", disk=True),
    "sgdisk": Tool("gdisk", disk=True),
    "mkfs.ext4": Tool("e2fsprogs", disk=True, version_args=("-V",)),
    "mke2fs": Tool("e2fsprogs", disk=True, version_args=("-V",)),
    "e2fsck": Tool("e2fsprogs", disk=True),
    "fsck.ext4": Tool("e2fsprogs", disk=True),
    "debugfs": Tool("e2fsprogs", disk=True),
    "dumpe2fs": Tool("e2fsprogs", disk=True),
    "tune2fs": Tool("e2fsprogs", disk=True),
    "filefrag": Tool("e2fsprogs", disk=True),
    "mkfs.fat": Tool("dosfstools", disk=True, version_args=("--help",)),
    "fsck.fat": Tool("dosfstools", disk=True),
    "mcopy": Tool("mtools", disk=True),
    "mdir": Tool("mtools", disk=True),
    "mmd": Tool("mtools", disk=True),
    "mkfs.btrfs": Tool("btrfs-progs", disk=True),
    "btrfs": Tool("btrfs-progs", disk=True),
    "btrfs-map-logical": Tool("btrfs-progs", disk=True),
    "partclone.ext4": Tool("partclone", disk=True, version_args=("-v",)),  # the image/partclone engine
    "partclone.fat": Tool("partclone", disk=True, version_args=("-v",)),  # its ESP
    "partclone.chkimg": Tool("partclone", disk=True, version_args=("-v",)),  # its verify
    "rsync": Tool("rsync"),  # the mirror-sync/rsync engine (and its copy back)
    "unison": Tool("unison", version_args=("-version",)),  # the mirror-two-way/unison engine
    "zstd": Tool("zstd"),
    "setfattr": Tool("attr"),
    "getfattr": Tool("attr"),
    "b3sum": Tool("b3sum"),  # benchmarks/manifest.py reference
    "sha256sum": Tool("coreutils"),  # its fallback
    "find": Tool("findutils"),
    "xargs": Tool("findutils"),
    "sh": Tool("dash"),
    "restic": Tool("restic", version_args=("version",)),  # strategies/external/restic.py
    "borg": Tool("borgbackup"),  # strategies/external/borg.py
    "rsnapshot": Tool("rsnapshot", version_args=("version",)),  # strategies/external/rsnapshot.py (runs rsync)
    "cp": Tool("coreutils"),
    "chromium": Tool("chromium"),  # prints the report as PDF (commands/report.py)
    "tar": Tool("tar", disk=True),  # unpacks the cached Debian root into a disk (disk/osinstall.py)
    "chroot": Tool("coreutils", disk=True),  # runs dpkg inside a disk's root
    "mshowfat": Tool("mtools", disk=True),
    "mmdebstrap": Tool("mmdebstrap", disk=True),  # builds the Debian root (disk/oscache.py)
    "grub-mkstandalone": Tool("grub-efi-amd64-bin", disk=True),  # its x86_64-efi modules come with it
    "qemu-system-x86_64": Tool("qemu-system-x86", disk=True),  # boots a disk (disk/boot.py)
    "fusermount3": Tool("fuse3", disk=True),  # the sector server's FUSE mounts (disk/served.py)
}

#: The tools only ``workbench.disk`` may run.
DISK_TOOLS: frozenset[str] = frozenset(name for name, tool in TOOLS.items() if tool.disk)

#: Set to 1 (tests/conftest.py does) to refuse a disk tool run from outside ``workbench.disk``.
CHECK_ENV = "WORKBENCH_CHECK_DISK_TOOLS"
DISK_PACKAGE = "workbench.disk"

Arg = str | os.PathLike[str]


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")


def require_tool(name: str) -> str:
    """Return the full path of ``name``, or raise naming the apt package to install."""
    path = _which(name)
    if path is None:
        package = TOOLS[name].package if name in TOOLS else name
        raise MissingToolError(
            f"the tool '{name}' is not installed: run 'apt-get install {package}' (or 'make setup')"
        )
    return path


def require_root(why: str) -> None:
    """Refuse to go on unless running as root, saying why root is needed."""
    if os.geteuid() != 0:
        raise NotRootError(f"{why} needs root (loop devices and mounts): run it with sudo or as root")


#: What ``run`` returns: the exit status, and stdout and stderr as bytes.
Completed = subprocess.CompletedProcess[bytes]


def run(
    args: Sequence[Arg],
    *,
    input: bytes | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    what: str | None = None,
    pass_fds: Sequence[int] = (),
) -> Completed:
    """Run a command and return its completed process (stdout and stderr as bytes).

    ``what`` describes the step for the error message ("formatting the ESP").
    ``pass_fds``: descriptors the command inherits under the same numbers (a file
    ``guard.held`` checked, named to the tool as ``/proc/self/fd/N``).
    With ``check`` (the default) a non-zero exit raises ``OperationFailed``
    carrying the last line of stderr.
    """
    argv = _argv(args)
    log.debug("run: %s", shlex.join(argv))
    full_env = None if env is None else {**os.environ, **env}
    try:
        done = subprocess.run(
            argv, input=input, capture_output=True, env=full_env, cwd=cwd, timeout=timeout, check=False,
            pass_fds=tuple(pass_fds),
        )
    except subprocess.TimeoutExpired as exc:
        raise OperationFailed(f"{what or Path(argv[0]).name} timed out after {timeout:g} s") from exc
    if check and done.returncode != 0:
        raise OperationFailed(_failure_message(argv, done, what))
    return done


def text(args: Sequence[Arg], **kwargs: Any) -> str:
    """Run a command and return its stdout decoded as text."""
    return run(args, **kwargs).stdout.decode(errors="replace")


Child = subprocess.Popen[bytes]


def pipe(first: Sequence[Arg], second: Sequence[Arg], *, what: str | None = None, check: bool = True,
         timeout: float | None = None) -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
    """Run ``first | second`` and return both completed processes (each one's stderr; the second's stdout).

    Both stay in the caller's process group, as ``run``'s child does, so a crash that kills
    the group (``kill_group``) kills the tools too. With ``check``, either one failing raises
    ``OperationFailed`` naming the first that failed (the other usually fails *because* of it).
    """
    argv1, argv2 = _argv(first), _argv(second)
    log.debug("pipe: %s | %s", shlex.join(argv1), shlex.join(argv2))
    with tempfile.TemporaryFile() as err1, tempfile.TemporaryFile() as err2, tempfile.TemporaryFile() as out2:
        left = subprocess.Popen(argv1, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err1)
        try:
            right = subprocess.Popen(argv2, stdin=left.stdout, stdout=out2, stderr=err2)
        except BaseException:
            left.kill()
            left.wait()
            raise
        assert left.stdout is not None
        left.stdout.close()  # the second holds the read end now: the first sees EPIPE if it stops reading
        try:
            codes = (left.wait(timeout=timeout), right.wait(timeout=timeout))
        except subprocess.TimeoutExpired as exc:
            left.kill()
            right.kill()
            left.wait()
            right.wait()
            raise OperationFailed(f"{what or Path(argv1[0]).name} timed out after {timeout:g} s") from exc
        outputs = []
        for argv, code, out, err in ((argv1, codes[0], None, err1), (argv2, codes[1], out2, err2)):
            err.seek(0)
            stdout = b""
            if out is not None:
                out.seek(0)
                stdout = out.read()
            outputs.append(subprocess.CompletedProcess(argv, code, stdout, err.read()))
    done1, done2 = outputs
    if check:
        for argv, done in ((argv1, done1), (argv2, done2)):
            if done.returncode != 0:
                raise OperationFailed(_failure_message(argv, done, what))
    return done1, done2


def spawn(args: Sequence[Arg], *, stderr: IO[bytes], stdout: IO[bytes] | None = None,
          env: Mapping[str, str] | None = None, what: str | None = None) -> Child:
    """Start a command in a session of its own (no stdin; stdout discarded unless given) and return at once.

    For a run that must be stopped mid-way (the crash fault) and for a server that
    outlives the call (the sector server), where ``run`` would wait for it to end.
    Its own session means a Ctrl-C at the terminal (sent to the foreground process
    group) reaches only the workbench, which then releases what sits on the child
    before stopping it; ``kill_group`` stops it and everything it started. Give a
    long-lived child a file for its output: a pipe nobody reads fills and stalls it.
    """
    argv = _argv(args)
    log.debug("spawn: %s", shlex.join(argv))
    full_env = None if env is None else {**os.environ, **env}
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout or subprocess.DEVNULL,
                                stderr=stderr, start_new_session=True, close_fds=True, env=full_env)
    except OSError as exc:
        raise OperationFailed(f"{what or Path(argv[0]).name} failed to start: {exc}") from exc


def start_piped(args: Sequence[Arg], *, env: Mapping[str, str] | None = None) -> Child:
    """Start a command with pipes on its stdin, stdout and stderr and return at once.

    For a worker process (``workbench.workers``) that is started before its work is
    ready and gets it later on its stdin; ``Child.communicate`` sends it and collects
    the output. The caller stops it if it never gets there (``terminate``).
    """
    argv = _argv(args)
    log.debug("start: %s", shlex.join(argv))
    full_env = None if env is None else {**os.environ, **env}
    try:
        return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                close_fds=True, env=full_env)
    except OSError as exc:
        raise OperationFailed(f"{Path(argv[0]).name} failed to start: {exc}") from exc


def stop(child: Child, *, wait_s: float) -> None:
    """Let a spawned child end by itself for ``wait_s``, then SIGTERM it, then SIGKILL it; reap it."""
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if child.poll() is not None:
            return
        if sig is not None:
            log.warning("pid %d is still running: sending %s", child.pid, sig.name)
            child.send_signal(sig)
        try:
            child.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def terminate(child: subprocess.Popen[Any], *, wait_s: float) -> None:
    """SIGTERM a child that is still running, SIGKILL it if it is not gone after ``wait_s``; reap it."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def stop_group(child: Child, *, wait_s: float) -> None:
    """SIGTERM a spawned child's whole process group (so a Python child unwinds its ``finally``s), wait
    ``wait_s`` for the child, then SIGKILL the group; reap the child."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if child.poll() is not None:
            return
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue
    child.wait()


def kill_group(child: Child) -> bool:
    """SIGKILL a spawned child's whole process group, as a power cut would; False when it was gone already."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


#: prctl(2) options: while set, orphans below this process are re-parented to it rather than to init.
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37


@contextmanager
def adopting_orphans() -> Iterator[None]:
    """While inside, orphans of what this process spawned become its children (it is their "subreaper").

    A killed child's own children (the tool a protect run started) are orphans the moment it
    dies. Left to init, they stay zombies until init gets round to them (measured here: 1.7 s,
    for a PID 1 that reaps on a timer), and a zombie's pid still answers a signal, so a tool that
    tells a stale lock by its owner's pid (restic) would take the lock for a live one. Adopted,
    they are reaped at once by ``reap_group``.
    """
    import ctypes  # here: only the crash fault needs it, and every worker process imports this module

    libc = ctypes.CDLL(None, use_errno=True)
    was = ctypes.c_int(0)
    libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(was), 0, 0, 0)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OperationFailed(f"cannot adopt orphans (prctl): {os.strerror(ctypes.get_errno())}")
    try:
        yield
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, was.value, 0, 0, 0)


def reap_group(child: Child, *, timeout_s: float = 10.0) -> int:
    """Reap what is left of a killed child's group; how many orphans of it were reaped here.

    Returns once no process of the group exists, zombies included, as after a power cut; a
    process still there after ``timeout_s`` raises ``OperationFailed``. Reaping is immediate for
    orphans adopted under ``adopting_orphans``; others are waited for until their parent reaps them.
    """
    reaped = 0
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            pid, _status = os.waitpid(-child.pid, os.WNOHANG)
        except ChildProcessError:  # no child of ours is left in the group
            pid = 0
        if pid > 0:
            reaped += 1
            continue
        try:
            os.killpg(child.pid, 0)
        except ProcessLookupError:
            return reaped
        if time.monotonic() >= deadline:
            raise OperationFailed(f"process group {child.pid} still has a process {timeout_s:g} s after SIGKILL")
        time.sleep(0.005)


def version(tool: str) -> str | None:
    """The first line a tool gives about its version (at most 80 characters), or None when it is not installed.

    Asking a version touches no disk, so any module may ask it of any tool.
    """
    path = _which(tool)
    if path is None:
        return None
    args = TOOLS[tool].version_args if tool in TOOLS else ("--version",)
    done = subprocess.run([path, *args], capture_output=True, check=False)
    lines = (done.stdout or done.stderr).decode(errors="replace").strip().splitlines()
    return lines[0][:80] if lines else "?"


class DiskToolOutsideDisk(RuntimeError):
    """A module outside ``workbench.disk`` asked for a disk tool: a bug in the layering, not a user error."""


def _argv(args: Sequence[Arg]) -> list[str]:
    """The command line as strings, its tool found on the path, refused when privilege is misplaced."""
    argv = [os.fspath(a) for a in args]
    if os.environ.get(CHECK_ENV) == "1":
        check_caller(Path(argv[0]).name, caller_module())
    argv[0] = require_tool(argv[0]) if os.sep not in argv[0] else argv[0]
    return argv


def caller_module() -> str:
    """The ``__name__`` of the first module up the stack that is not this one (who asked for the command)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    return "" if frame is None else str(frame.f_globals.get("__name__", ""))


def check_caller(tool: str, module: str) -> None:
    """Refuse a disk tool asked for by a workbench module outside ``workbench.disk``.

    Only the package is held to this: tests and benchmarks may run a disk tool
    to look at a disk from outside.
    """
    if tool not in DISK_TOOLS or not (module == "workbench" or module.startswith("workbench.")):
        return
    if module == DISK_PACKAGE or module.startswith(DISK_PACKAGE + "."):
        return
    raise DiskToolOutsideDisk(
        f"{module} runs the disk tool '{tool}': only {DISK_PACKAGE} runs disk tools, "
        f"so ask a function there for the path, byte range or result instead"
    )


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
        terminate(child, wait_s=5)
        if child.stdout is not None:
            child.stdout.close()
