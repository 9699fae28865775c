"""The mirror's own small records, kept at the target's top level and left out of the mirrored tree.

- ``.workbench-mirror.json``: when the last one-way sync ran, in which mode, and
  (checksum mode) the blake3 of every file it left on the target, for ``verify``.
  ``files`` and ``bytes`` count what that sync looked at: the whole tree, or for a
  continuous mirror's batch only the paths of that batch (its hashes are merged).
- ``.workbench-twoway.json``: the two-way sync's state database (see ``twoway``).

Both are written atomically: a temporary file, fsync, then rename, so a crash
leaves the previous record whole.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ... import durable
from ...errors import DamageFound, UsageError
from ...jsonfile import read_json
from .tree import TEMP_PREFIX

SYNC_NAME = ".workbench-mirror.json"
TWOWAY_NAME = ".workbench-twoway.json"
NAMES = (SYNC_NAME, TWOWAY_NAME)
#: Top-level names no mirror mode copies or deletes: our records, and ext4's lost+found
#: (a target on a data disk's root has its own, which is not the source's).
LEFT_OUT = (*NAMES, "lost+found")
FORMAT = "workbench-mirror"
VERSION = 1


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
    vanished: int = 0  # source files that disappeared while we copied them
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    hashes: dict[str, str] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["hashes"]
        return data


def write_record(path: Path, data: dict[str, Any]) -> None:
    """Replace a record durably, marked with the format and version; written aside under a name the scans skip."""
    text = json.dumps({"format": FORMAT, "version": VERSION, **data}, separators=(",", ":"))  # the C encoder
    durable.write_atomic(path, text.encode(), aside=path.with_name(f"{TEMP_PREFIX}{path.name}.tmp"))


def read_record(path: Path) -> dict[str, Any] | None:
    """The record, or None if there is none; a damaged one is damage found, a newer one refused."""
    data = read_json(path, "mirror record", fix="remove it and sync again", damaged=DamageFound)
    if data is None:
        return None
    if not isinstance(data, dict):
        raise DamageFound(f"'{path}' is not a readable mirror record (not a JSON object): remove it and sync again")
    name, version = data.get("format"), data.get("version")
    if isinstance(name, int):  # written before records named their format: {"format": 1}
        name, version = FORMAT, name
    if name != FORMAT or not isinstance(version, int):
        raise DamageFound(f"'{path}' is not a readable mirror record (format {name!r}): remove it and sync again")
    if version > VERSION:
        raise UsageError(f"'{path}' was written by a newer workbench (version {version}): upgrade the workbench")
    return data


def load_sync(target: Path) -> dict[str, Any] | None:
    return read_record(target / SYNC_NAME)


def save_sync(
    target: Path, result: SyncResult, *, checksum: bool, mode: str, scope: list[str] | None, source: Path,
    now: datetime | None = None,
) -> None:
    """Record a finished sync; a scoped sync (continuous mode) updates the hashes of its paths only."""
    hashes = dict(result.hashes)
    if scope is not None:
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
    })
