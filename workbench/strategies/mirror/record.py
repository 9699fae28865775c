"""The mirror's own small records, kept at the target's top level and left out of the mirrored tree.

- ``.workbench-mirror.json``: when the last one-way sync ran, in which mode, and
  (checksum mode) the blake3 of every file it left on the target, for ``verify``.
  ``files`` and ``bytes`` count what that sync looked at: the whole tree, or for a
  continuous mirror's batch only the paths of that batch (its hashes are merged).
- ``.workbench-twoway.json``: the two-way sync's state database (see ``twoway``).
- ``.workbench-raid1.json``, beside a raid1 pair's two halves (not inside its
  filesystem): when the pair was last known in step (see ``stamp_in_step``).

All are replaced atomically (written aside, then renamed), so a killed run
leaves the previous record whole. The two-way and raid1 records are also fsynced
before the rename. The one-way record is fsynced only by a durable sync
(``mirror protect --sync``), which first writes out the whole target filesystem,
so a record that survives a power cut never claims files that did not; without
it the sync is as durable as rsync's, which fsyncs nothing.

A record is *damaged* when it cannot be read as one (ransomware encrypted it in
place, bytes were flipped) or is gone from under its name while something named
after it remains (ransomware renamed it ``.workbench-mirror.json.locked``).
Reading a damaged record raises ``DamagedRecord`` (damage found, exit 1), never a
refusal: the mirrored tree is still there, and the next sync rebuilds the record
by a full comparison of source and target, as rsync (which keeps no record) would.
A folder with neither a record nor a trace of one is not a mirror.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ... import durable
from ...errors import DamageFound, UsageError
from ...jsonfile import dumps, read_json
from .tree import TEMP_PREFIX

SYNC_NAME = ".workbench-mirror.json"
TWOWAY_NAME = ".workbench-twoway.json"
RAID1_NAME = ".workbench-raid1.json"
NAMES = (SYNC_NAME, TWOWAY_NAME)
#: Top-level names no mirror mode copies or deletes: our records, and ext4's lost+found
#: (a target on a data disk's root has its own, which is not the source's).
LEFT_OUT = (*NAMES, "lost+found")
FORMAT = "workbench-mirror"
#: 2 adds ``xattrs_settled`` to the one-way record (version 1 records are read as before).
VERSION = 2
#: Taken off the times of ``xattrs_settled``: the kernel may stamp a ctime from its coarse clock (a tick,
#: a few ms, behind the fine one), so a change just after a time was taken could look older than it.
CLOCK_SLACK_NS = 1_000_000_000


_REBUILT = "the next sync rebuilds it from a full comparison"


class DamagedRecord(DamageFound):
    """The mirror's own record is unreadable or gone from under its name; the next sync rebuilds it."""


@dataclass
class SyncResult:
    """What one one-way sync did, and what its record keeps (``save_sync``)."""

    created: int = 0
    updated: int = 0
    deleted: int = 0  # tops removed: a deleted folder counts once
    renamed: int = 0
    linked: int = 0
    metadata: int = 0
    bytes_copied: int = 0
    hashed_files: int = 0
    #: entries whose xattrs were read on neither side: unchanged on both since the last whole sync
    #: (see ``xattrs_settled``)
    xattrs_reused: int = 0
    vanished: int = 0  # source files that disappeared while we copied them
    #: source paths the disk could not read (EIO): not copied, and their mirror copies kept as they were
    unreadable: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    hashes: dict[str, str] = field(default_factory=dict, repr=False)
    #: What the sync did to the target, path by path (relative to the target), as ``rsync -i`` itemises it:
    #: entries it wrote there (created, updated, renamed to, linked, metadata changed) and ones it removed.
    written: list[str] = field(default_factory=list, repr=False)
    removed: list[str] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        """Every field but the hashes (the record keeps those apart), lists copied, and ``read_errors``.

        Not ``dataclasses.asdict``, which deep-copies every value, the hashes too before they are
        dropped: 0.06 s for 21,780 hashes and as many written paths (timeit), against 0.1 ms.
        """
        data: dict[str, Any] = {}
        for f in fields(self):
            if f.name != "hashes":
                value = getattr(self, f.name)
                data[f.name] = list(value) if isinstance(value, list) else value
        data["read_errors"] = len(self.unreadable)
        return data


def write_record(path: Path, data: dict[str, Any], *, sync: bool = True) -> None:
    """Replace a record atomically, marked with the format and version; written aside under a name the
    scans skip. ``sync``: fsync it before the rename and its folder after (see the module docstring)."""
    text = dumps({"format": FORMAT, "version": VERSION, **data})
    durable.write_atomic(path, text, aside=path.with_name(f"{TEMP_PREFIX}{path.name}.tmp"), sync=sync)


def read_record(path: Path, required: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The record, or None if there is none (and no trace of it).

    Raises ``DamagedRecord`` when it is damaged (see the module docstring) or lacks one of
    ``required``; a record of a newer version is refused (``UsageError``: upgrade, nothing is damaged).
    """
    data = read_json(path, "mirror record", fix=_REBUILT, damaged=DamagedRecord)
    if data is None:
        traces = _traces(path)
        if traces:
            raise DamagedRecord(f"'{path}' is not a readable mirror record (gone, and {traces[0]} is in its "
                                f"place): {_REBUILT}")
        return None
    if not isinstance(data, dict):
        raise DamagedRecord(f"'{path}' is not a readable mirror record (not a JSON object): {_REBUILT}")
    name, version = data.get("format"), data.get("version")
    if isinstance(name, int):  # written before records named their format: {"format": 1}
        name, version = FORMAT, name
    if name != FORMAT or not isinstance(version, int):
        raise DamagedRecord(f"'{path}' is not a readable mirror record (format {name!r}): {_REBUILT}")
    if version > VERSION:
        raise UsageError(f"'{path}' was written by a newer workbench (version {version}): upgrade the workbench")
    missing = [key for key in required if key not in data]
    if missing:
        raise DamagedRecord(f"'{path}' is not a readable mirror record (no {missing[0]}): {_REBUILT}")
    return data


def _traces(path: Path) -> list[str]:
    """Names at the record's place that start with its name (``.workbench-mirror.json.locked``)."""
    try:
        with os.scandir(path.parent) as listing:
            return sorted(e.name for e in listing if e.name.startswith(path.name) and e.name != path.name)
    except (FileNotFoundError, NotADirectoryError):
        return []


def has_record(target: Path, name: str) -> bool:
    """Whether the target holds the record ``name``, whole or damaged: whether it is that kind of mirror."""
    return (target / name).exists() or bool(_traces(target / name))


def load_sync(target: Path) -> dict[str, Any] | None:
    return read_record(target / SYNC_NAME, required=("synced_at", "mode"))


def mark_interrupted(target: Path, *, sync: bool = True) -> None:
    """Mark the last sync's record as no longer this tree's: a sync stopped part-way (the next one rewrites it)."""
    try:
        saved = load_sync(target)
    except DamagedRecord:
        return  # already read as damage
    if saved is not None:
        write_record(target / SYNC_NAME, {**saved, "interrupted": True}, sync=sync)


def xattrs_settled(saved: dict[str, Any] | None, source: Path) -> tuple[int, int] | None:
    """When the last sync left every entry's xattrs equal on both sides, if it did: ``(source, target)``
    times (ns, the clock) before which an entry's ctime says it has not changed since.

    Only a whole sync of this same source that finished (not interrupted, nothing unreadable,
    nothing vanished) records them, as ``xattrs_settled``: the start of its scan and its end
    after every write, each less ``CLOCK_SLACK_NS``. A source entry whose ctime is older than
    the first was as that sync read it, and a target entry older than the second as that sync
    left it (setting an xattr moves the ctime), so the xattrs of an entry older on both sides are
    still equal: the next sync reads them on neither. Records before version 2 have none: every
    xattr is read.
    """
    if saved is None or saved.get("interrupted") or saved.get("source") != str(source):
        return None
    settled = saved.get("xattrs_settled")
    if not (isinstance(settled, dict) and isinstance(settled.get("source_ns"), int)
            and isinstance(settled.get("target_ns"), int)):
        return None
    return settled["source_ns"], settled["target_ns"]


def save_sync(
    target: Path, result: SyncResult, *, checksum: bool, mode: str, scope: list[str] | None, source: Path,
    now: datetime | None = None, settled: tuple[int, int] | None = None, sync: bool = False,
) -> None:
    """Record a finished sync; a scoped sync (continuous mode) updates the hashes of its paths only.

    ``settled``: see ``xattrs_settled`` (None for a sync that did not make every entry equal).
    ``sync``: fsync the record (the caller has made the tree durable first)."""
    hashes = dict(result.hashes)
    if scope is not None:  # a damaged record was rebuilt by a full sync before: this one is readable
        previous = (load_sync(target) or {}).get("hashes", {})
        prefixes = tuple(f"{p.strip('/')}/" for p in scope if p.strip("/"))
        exact = {p.strip("/") for p in scope}
        kept = {p: h for p, h in previous.items() if p not in exact and not p.startswith(prefixes)}
        if "" in exact:
            kept = {}
        hashes = {**kept, **hashes}
    write_record(target / SYNC_NAME, {
        "mode": mode,
        "checksum": checksum,
        "source": str(source),
        "synced_at": (now or datetime.now(UTC)).isoformat(),
        "files": result.files,
        "bytes": result.bytes,
        "hashes": hashes if checksum else {},
        **({"xattrs_settled": {"source_ns": settled[0], "target_ns": settled[1]}} if settled is not None else {}),
    }, sync=sync)


def stamp_in_step(directory: Path, now: datetime) -> None:
    """Record that a raid1 pair was in step at ``now`` (the simulated clock in experiments)."""
    write_record(directory / RAID1_NAME, {"in_step_at": now.isoformat()})


def in_step_at(directory: Path) -> datetime | None:
    """When a raid1 pair was last stamped in step; None for a pair the workbench never stamped."""
    data = read_record(directory / RAID1_NAME, required=("in_step_at",))
    return None if data is None else datetime.fromisoformat(data["in_step_at"])
