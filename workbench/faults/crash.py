"""Crash during protect: a real child process, killed with SIGKILL at a chosen point.

The command (typically ``python -m workbench ... protect ...``) runs in its
own process group, and the whole group is killed, as a power cut would: no
``finally`` runs, no temporary file is cleaned. The point is either a time
(``after_s``) or a file that appears, or grows past ``min_bytes`` (a folder
counts the sum of its files' sizes), in the target.

What the killed run left attached (loop devices, mounts in the workspace) is
what a reboot would release; with ``release`` (the default) exactly those
new ones are released again, and the record lists them. Timings are real, so
unlike the other injectors this record's ``elapsed_s`` varies between runs.

The child is started with ``proc.spawn`` rather than ``proc.run``, because
``run`` waits for the command to end and this one must be stopped mid-way.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from .. import proc
from ..disk.cleanup import release_leftovers, workspace_mounts
from ..disk.loop import workspace_loops
from ..errors import OperationFailed, UsageError
from .records import FaultRecord, timestamp

POLL_S = 0.01


def crash_during(argv: Sequence[str], *, after_s: float | None = None, when_path: Path | None = None,
                 min_bytes: int = 0, watch: Path | None = None, timeout_s: float = 600.0, release: bool = True,
                 env: Mapping[str, str] | None = None, seed: int = 0, at: datetime | None = None) -> FaultRecord:
    """Run ``argv`` and SIGKILL it (and its children) when the first trigger fires.

    ``watch`` is a folder (or file) whose contents are listed at the moment of
    the kill (default: ``when_path``). If the command ends before any trigger,
    nothing is killed and the record says so (``killed`` false, with its exit code).
    """
    if after_s is None and when_path is None:
        raise UsageError("a crash needs a moment: give after_s (seconds) or when_path (a file in the target)")
    loops_before, mounts_before = set(workspace_loops()), set(workspace_mounts())
    watch = watch if watch is not None else when_path
    orphans = 0
    with tempfile.TemporaryFile() as errors, proc.adopting_orphans():
        started = time.monotonic()
        child = proc.spawn(argv, stderr=errors, env=env)
        try:
            trigger = _wait_for_trigger(child, started, after_s, when_path, min_bytes, timeout_s)
        except BaseException:  # interrupted ourselves: the child must not outlive us
            proc.kill_group(child)
            child.wait()
            with contextlib.suppress(OperationFailed):  # the interruption, not a slow reap, is what to report
                proc.reap_group(child)
            raise
        elapsed = time.monotonic() - started
        killed = trigger is not None and child.poll() is None
        if killed:
            killed = proc.kill_group(child)  # False: it ended in the last instant
        returncode = child.wait()
        if killed:
            orphans = proc.reap_group(child)  # the tool it started is gone too, as after a power cut
        existed = _listing(watch) if watch is not None else {}
        errors.seek(0)
        stderr_tail = errors.read()[-2000:].decode(errors="replace")
    released = release_leftovers(spare_mounts=mounts_before, spare_loops=loops_before) if release else []
    return FaultRecord(
        kind="crash-during-protect", seed=seed, time=timestamp(at), target=shlex.join(argv),
        files=sorted(existed),
        details={"killed": killed, "trigger": trigger or "exited", "elapsed_s": round(elapsed, 3),
                 "after_s": after_s, "when_path": None if when_path is None else str(when_path),
                 "min_bytes": min_bytes, "returncode": returncode, "orphans_reaped": orphans, "existed": existed,
                 "released": released, "stderr_tail": stderr_tail},
    )


def _wait_for_trigger(child: proc.Child, started: float, after_s: float | None, when_path: Path | None,
                      min_bytes: int, timeout_s: float) -> str | None:
    """'time', 'file' or 'timeout' when a trigger fires while the child runs; None when it ended first."""
    while child.poll() is None:
        elapsed = time.monotonic() - started
        if after_s is not None and elapsed >= after_s:
            return "time"
        size = None if when_path is None else _size(when_path)
        if size is not None and size >= min_bytes:
            return "file"
        if elapsed >= timeout_s:
            return "timeout"
        time.sleep(POLL_S)
    return None


def _size(path: Path) -> int | None:
    """A file's size, a folder's total file size, or None when it does not exist (yet)."""
    try:
        if path.is_dir():
            return folder_bytes(path)
        return path.stat().st_size
    except FileNotFoundError:
        return None


def folder_bytes(path: Path) -> int:
    """The total size of the files in a folder (what a run adds to a target shows here)."""
    return sum(_listing(path).values())


def _listing(path: Path) -> dict[str, int]:
    """{relative path: size} of what exists under ``path`` (or of the file itself) right now."""
    if path.is_file():
        return {path.name: path.stat().st_size}
    found = {}
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            item = Path(dirpath) / name
            try:
                found[str(item.relative_to(path))] = item.lstat().st_size
            except FileNotFoundError:
                continue
    return found


