"""Who owns each loop device, mount and served disk of the workspace, so cleanup frees only the dead's.

An owner is a process, named by its pid *and* its start time (clock ticks after
boot, field 22 of ``/proc/PID/stat``): a pid the kernel hands to another process
later is not mistaken for the owner. Each owner keeps one record,
``WORKSPACE/.owners/PID-START.json``, of its claims::

    {"format": 1, "pid": 4242, "start_ticks": 918273, "argv": "python -m workbench.experiment.cell_child ...",
     "claims": {"images": ["/ws/experiments/today-x1/backup__deletion__r1/pc.img"],
                "mounts": ["/ws/.mnt/pc-ab12"], "served": ["/ws/.mnt/served-pc-cd34"]}}

- ``images``: backing files it attaches loop devices to (the device's name is
  known only once losetup answers, its backing file before);
- ``mounts``: mount points, kernel and FUSE alike;
- ``served``: served disks' folders (:mod:`workbench.disk.served`), whose server it started.

A claim is written *before* the resource exists and dropped *after* it is
released, so at every instant a live owner's resources are all claimed; what no
live owner claims is a leftover (of a dead owner, or of a run from before
owners were recorded), and ``workbench cleanup`` may release it. Only the owner
writes its record (replaced whole, atomically), so records need no lock between
processes; a lock orders the threads of one process.

Locks and other holders of a workspace resource build on the same calls:
``claim(kind, path)`` / ``release(kind, path)`` (or ``claimed``), ``Owner.current()``,
``live_claims()`` and ``dead_records()``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .. import workspace
from ..durable import write_atomic

FORMAT = 1
FOLDER = ".owners"
KINDS = ("images", "mounts", "served")

_lock = threading.Lock()


@dataclass(frozen=True)
class Owner:
    """A process, told apart from any later process that reuses its pid."""

    pid: int
    start_ticks: int

    @classmethod
    def current(cls) -> Owner:
        owner = cls.of(os.getpid())
        assert owner is not None, "the running process always has a /proc entry"
        return owner

    @classmethod
    def of(cls, pid: int) -> Owner | None:
        """The owner running as ``pid`` now, or None when there is no such process."""
        ticks = start_ticks(pid)
        return None if ticks is None else cls(pid, ticks)

    @property
    def id(self) -> str:
        return f"{self.pid}-{self.start_ticks}"

    def alive(self) -> bool:
        """Whether this very process still runs (a zombie counts as gone: it holds nothing any more)."""
        return start_ticks(self.pid) == self.start_ticks and _state(self.pid) not in ("Z", "X", None)


def start_ticks(pid: int) -> int | None:
    """A process's start time in clock ticks after boot, or None when it does not exist."""
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[19])


def _state(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return None if fields is None else fields[0]


def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` after the command name (which may hold spaces and parentheses): state first."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    return text[text.rindex(")") + 2:].split()


@dataclass
class OwnerRecord:
    """One owner's record as read from the workspace."""

    owner: Owner
    path: Path
    argv: str = ""
    claims: dict[str, list[str]] = field(default_factory=dict)

    def paths(self, kind: str) -> set[Path]:
        return {Path(p) for p in self.claims.get(kind, [])}


def records_dir(root: Path | None = None) -> Path:
    return (root or workspace.home()) / FOLDER


def claim(kind: str, path: Path) -> None:
    """Record that the running process is about to hold ``path`` (a backing image, a mount point, a served
    disk's folder). Claims count: two claims of one path need two releases."""
    _change(kind, path, +1)


def release(kind: str, path: Path) -> None:
    """Drop one claim of ``path`` (after the resource is gone); a path never claimed is ignored."""
    _change(kind, path, -1)


@contextmanager
def claimed(kind: str, path: Path) -> Iterator[None]:
    """Hold a claim of ``path`` for the block: claim on entry, release on the way out, whatever happens."""
    claim(kind, path)
    try:
        yield
    finally:
        release(kind, path)


def _change(kind: str, path: Path, step: int) -> None:
    if kind not in KINDS:
        raise AssertionError(f"not a kind of claim: {kind} (one of {', '.join(KINDS)})")  # a caller's bug
    with _lock:
        owner = Owner.current()
        file = records_dir() / f"{owner.id}.json"
        current = _read(file)
        claims = current.claims if current is not None else {}
        held = claims.setdefault(kind, [])
        text = str(path)
        if step > 0:
            held.append(text)
        elif text in held:
            held.remove(text)
        else:
            return
        if not any(claims.values()):
            file.unlink(missing_ok=True)
            return
        _write(file, owner, claims)


def _write(file: Path, owner: Owner, claims: dict[str, list[str]]) -> None:
    file.parent.mkdir(exist_ok=True)
    record = {"format": FORMAT, "pid": owner.pid, "start_ticks": owner.start_ticks, "argv": _argv(owner.pid),
              "claims": {kind: claims[kind] for kind in KINDS if claims.get(kind)}}
    write_atomic(file, json.dumps(record, indent=1).encode(), sync=False)  # atomic: a reader never sees half


def _argv(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _read(file: Path) -> OwnerRecord | None:
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError):
        return None
    if data.get("format") != FORMAT:
        return None
    return OwnerRecord(Owner(int(data["pid"]), int(data["start_ticks"])), file, data.get("argv", ""),
                       {kind: list(data.get("claims", {}).get(kind, [])) for kind in KINDS})


def records(root: Path | None = None) -> list[OwnerRecord]:
    """Every owner's record in the workspace, alive or not."""
    folder = records_dir(root)
    found = (_read(file) for file in sorted(folder.glob("*.json"))) if folder.is_dir() else iter(())
    return [record for record in found if record is not None]


def live_claims(root: Path | None = None) -> dict[str, set[Path]]:
    """What the owners still alive claim, by kind: what cleanup must leave alone."""
    live: dict[str, set[Path]] = {kind: set() for kind in KINDS}
    for record in records(root):
        if record.owner.alive():
            for kind in KINDS:
                live[kind] |= record.paths(kind)
    return live


def dead_records(root: Path | None = None) -> list[OwnerRecord]:
    """The records of owners no longer alive (their resources are leftovers)."""
    return [record for record in records(root) if not record.owner.alive()]


def forget(record: OwnerRecord) -> None:
    """Remove a dead owner's record once what it claimed is released."""
    record.path.unlink(missing_ok=True)
