"""Reading what restic 0.14 prints: ``backup --json`` messages, ``snapshots --json``, ``ls --json``,
``find --pack --json``, and the text of ``check --read-data`` (which has no JSON in 0.14). Pure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ...errors import OperationFailed
from ..base import Listed
from .base import json_lines, listed

_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")
#: restic's node types -> ``Listed.kind``.
_KINDS = {"file": "file", "dir": "dir", "symlink": "symlink"}


def rfc3339_ns(text: str) -> int:
    """'2026-12-01T22:57:38.545888237Z' -> nanoseconds since the epoch (Python's parser stops at microseconds)."""
    match = _RFC3339.match(text.strip())
    if match is None:
        raise OperationFailed(f"restic gave the time '{text}', which is not RFC 3339")
    whole, fraction, zone = match.groups()
    moment = datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone))
    nanos = int((fraction or "0")[:9].ljust(9, "0"))
    return int(moment.timestamp()) * 1_000_000_000 + nanos


def rfc3339(text: str) -> datetime:
    """restic's time as an aware datetime, in UTC (to the microsecond)."""
    nanos = rfc3339_ns(text)
    return datetime.fromtimestamp(nanos // 1_000_000_000, UTC).replace(microsecond=nanos // 1000 % 1_000_000)


@dataclass(frozen=True)
class BackupSummary:
    """The ``summary`` message that ends ``restic backup --json``."""

    snapshot_id: str  # the short id restic prints
    data_added: int  # bytes the run added to the repository (before packing overhead)
    files_new: int
    files_changed: int
    files_unmodified: int
    total_files: int
    total_bytes: int
    seconds: float
    errors: tuple[str, ...] = ()  # the ``error`` messages of the run (files it could not read)


def backup_summary(stdout: str) -> BackupSummary:
    """The run's summary, with any error messages; ``OperationFailed`` when the run printed none."""
    errors: list[str] = []
    for message in json_lines(stdout):
        kind = message.get("message_type")
        if kind == "error":
            error = message.get("error", {})
            text = error.get("message", error) if isinstance(error, dict) else error
            errors.append(f"{message.get('item', '?')}: {text}")
        elif kind == "summary":
            return BackupSummary(
                snapshot_id=str(message["snapshot_id"]), data_added=int(message.get("data_added", 0)),
                files_new=int(message.get("files_new", 0)), files_changed=int(message.get("files_changed", 0)),
                files_unmodified=int(message.get("files_unmodified", 0)),
                total_files=int(message.get("total_files_processed", 0)),
                total_bytes=int(message.get("total_bytes_processed", 0)),
                seconds=float(message.get("total_duration", 0.0)), errors=tuple(errors))
    raise OperationFailed("restic backup ended without its summary: " + ("; ".join(errors) or "no snapshot made"))



@dataclass(frozen=True)
class Snapshot:
    id: str
    short_id: str
    time: datetime
    paths: tuple[str, ...]
    parent: str | None = None


def snapshots(stdout: str) -> list[Snapshot]:
    """``restic snapshots --json``, oldest first (restic's own order)."""
    data: list[dict[str, Any]] = json.loads(stdout or "[]") or []
    return [Snapshot(id=s["id"], short_id=s.get("short_id", s["id"][:8]), time=rfc3339(s["time"]),
                     paths=tuple(s.get("paths", ())), parent=s.get("parent")) for s in data]


def nodes(stdout: str) -> list[Listed]:
    """``restic ls --json SNAPSHOT``: every node (the first line is the snapshot itself)."""
    return [listed(message, _KINDS, rfc3339_ns(str(message["mtime"]))) for message in json_lines(stdout)
            if message.get("struct_type") == "node"]


@dataclass
class CheckFindings:
    """What ``restic check --read-data`` reported: the packs it found damaged and every other error line."""

    packs: list[str] = field(default_factory=list)  # pack ids as restic printed them (full or short)
    errors: list[str] = field(default_factory=list)  # every line that reports a problem

    @property
    def clean(self) -> bool:
        return not self.packs and not self.errors


#: Lines of restic 0.14's checker that name a damaged pack, and the group holding its id.
_PACK_LINES = (
    re.compile(r"Pack ID does not match, want ([0-9a-f]{8,64})"),
    re.compile(r"Pack size does not match.*?pack ([0-9a-f]{8,64})"),
    re.compile(r"pack ([0-9a-f]{8,64}) contains \d+ errors?"),
    re.compile(r"pack ([0-9a-f]{8,64}) failed to download"),
    re.compile(r"checkPack.*?([0-9a-f]{64})"),
    re.compile(r"pack ([0-9a-f]{8,64}): "),
)
#: Lines that are progress or a verdict of no damage, not an error.
_QUIET = re.compile(r"^(create exclusive lock|load indexes|check all packs|check snapshots|read all data|"
                    r"\[\d+:\d\d\]|no errors were found|using temporary cache|created new cache|"
                    r"check for unused|.*not referenced in any index|.*would be removed by prune|"
                    r"\d+ additional files were found|This is non-critical|Fatal: repository contains errors)")


def check_findings(output: str) -> CheckFindings:
    """The damage ``restic check --read-data`` names in its output (stdout and stderr together)."""
    findings = CheckFindings()
    for raw in output.splitlines():
        line = raw.strip()
        if not line or _QUIET.match(line):
            continue
        for pattern in _PACK_LINES:
            match = pattern.search(line)
            if match is not None:
                if match.group(1) not in findings.packs:
                    findings.packs.append(match.group(1))
                break
        findings.errors.append(line)
    return findings


def snapshots_using(stdout: str) -> set[str]:
    """``restic find --pack ID --json``: the (full) ids of the snapshots that hold a blob of the pack."""
    text = stdout.strip()
    if not text:
        return set()
    found: set[str] = set()
    for part in _json_values(text):
        for entry in part if isinstance(part, list) else [part]:
            if isinstance(entry, dict) and entry.get("snapshot"):
                found.add(str(entry["snapshot"]))
    return found


def _json_values(text: str) -> list[Any]:
    """One JSON value, or several printed one after another (restic prints one array per pack)."""
    decoder, values, index = json.JSONDecoder(), [], 0
    while index < len(text):
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            break
        value, index = decoder.raw_decode(text, index)
        values.append(value)
    return values
