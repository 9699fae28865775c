"""Reading what borg 1.2 prints: ``create --json``, ``--log-json`` messages, ``list --json`` and
``--json-lines``, the log of ``check --verify-data``, and ``debug dump-archive``. Pure.

borg prints times without a zone, in the local time; the engine runs it with ``TZ=UTC``, so
they are read as UTC here.
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

#: borg's item types (the first letter of ``ls -l``) -> ``Listed.kind``.
_KINDS = {"-": "file", "d": "dir", "l": "symlink"}
#: How ``borg debug dump-archive`` writes bytes (ids): a DEL character, then hex.
_BYTES_MARK = "\x7f"


def borg_time(text: str) -> datetime:
    """'2026-01-05T02:00:00.000000' (UTC, as the engine runs borg) -> an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def borg_time_ns(text: str) -> int:
    """A borg time as nanoseconds since the epoch (borg's listing stops at microseconds)."""
    moment = borg_time(text)
    return int(moment.replace(microsecond=0).timestamp()) * 1_000_000_000 + moment.microsecond * 1000


@dataclass(frozen=True)
class Created:
    """What ``borg create --json`` says of the archive it made."""

    name: str
    id: str
    time: datetime
    deduplicated_bytes: int  # what the archive added to the repository (compressed, deduplicated)
    original_bytes: int
    files: int
    seconds: float


def created(stdout: str) -> Created:
    try:
        data = json.loads(stdout)
        archive = data["archive"]
        stats = archive["stats"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise OperationFailed(f"borg create printed no archive: {stdout.strip()[:200]!r}") from exc
    return Created(name=archive["name"], id=archive["id"], time=borg_time(archive["start"]),
                   deduplicated_bytes=int(stats["deduplicated_size"]), original_bytes=int(stats["original_size"]),
                   files=int(stats["nfiles"]), seconds=float(archive.get("duration", 0.0)))


@dataclass(frozen=True)
class LogLine:
    level: str  # DEBUG, INFO, WARNING, ERROR, CRITICAL
    message: str
    msgid: str = ""


def log_lines(stderr: str) -> list[LogLine]:
    """The ``log_message`` lines of ``--log-json`` output (progress lines are left out)."""
    return [LogLine(str(m.get("levelname", "")), str(m.get("message", "")), str(m.get("msgid") or ""))
            for m in json_lines(stderr) if m.get("type") == "log_message"]



@dataclass(frozen=True)
class Archive:
    name: str
    id: str
    time: datetime


def archives(stdout: str) -> list[Archive]:
    """``borg list --json REPO``, in borg's order (oldest first)."""
    data = json.loads(stdout)
    return [Archive(name=a["name"], id=a["id"], time=borg_time(a["time"])) for a in data.get("archives", [])]


def items(stdout: str) -> list[Listed]:
    """``borg list --json-lines REPO::ARCHIVE``: every item, as ``Listed``."""
    return [listed(item, _KINDS, borg_time_ns(str(item["mtime"]))) for item in json_lines(stdout) if "path" in item]


_HEX = r"([0-9a-f]{64})"
_DEFECT_CHUNK = re.compile(r"chunk " + _HEX + r": ")
_LOST_OBJECT = re.compile(r"^ID: " + _HEX + r" rebuilt index: <not found>")
_SEGMENT = re.compile(r"\[segment (\d+), offset (\d+)\]")
_ARCHIVE_NAMED = re.compile(r"[Aa]rchive '([^']+)'")


@dataclass
class CheckFindings:
    """What ``borg check --verify-data`` logged: damaged objects, segments and every error line."""

    chunks: list[str] = field(default_factory=list)  # ids of objects the archives check found damaged
    #: ids the segment scan lost sight of: the damaged entry and every one after it in its segment (the
    #: scan cannot trust a length past a bad entry), so only a hint when the archives check names none
    scan_lost: list[str] = field(default_factory=list)
    segments: list[tuple[int, int]] = field(default_factory=list)  # (segment, offset) of damaged entries
    archives: list[str] = field(default_factory=list)  # archives an error names
    errors: list[str] = field(default_factory=list)
    repository_damaged: bool = False  # the segment scan found damage, so borg skipped the archives check

    @property
    def clean(self) -> bool:
        return not (self.chunks or self.scan_lost or self.segments or self.archives or self.errors)


def check_findings(stderr: str, into: CheckFindings | None = None) -> CheckFindings:
    """Add what one ``borg check --log-json`` run logged to ``into`` (a new one when None)."""
    found = into if into is not None else CheckFindings()
    for line in log_lines(stderr):
        text = line.message.strip()
        if line.level not in ("WARNING", "ERROR", "CRITICAL"):
            continue
        for pattern, bucket in ((_DEFECT_CHUNK, found.chunks), (_LOST_OBJECT, found.scan_lost)):
            match = pattern.search(text)
            if match is not None and match.group(1) not in bucket:
                bucket.append(match.group(1))
        for segment in _SEGMENT.finditer(text):
            place = (int(segment.group(1)), int(segment.group(2)))
            if place not in found.segments:
                found.segments.append(place)
        for named in _ARCHIVE_NAMED.finditer(text):
            if named.group(1) not in found.archives:
                found.archives.append(named.group(1))
        if line.level != "WARNING" or _DEFECT_CHUNK.search(text):
            found.errors.append(text)
        if "Finished full repository check, errors found" in text:
            found.repository_damaged = True
    return found


def referenced_ids(stdout: str) -> set[str]:
    """Every object id ``borg debug dump-archive`` shows the archive using: its own, its item
    metadata's and its files' chunks (what damage to any of them takes from the archive)."""
    data: dict[str, Any] = json.loads(stdout)
    found = {_hex(data.get("_manifest_entry", {}).get("id", ""))}
    found |= {_hex(i) for i in data.get("_meta", {}).get("items", [])}
    for item in data.get("_items", []):
        found |= {_hex(chunk[0]) for chunk in item.get("chunks", [])}
    return {i for i in found if i}


def _hex(value: str) -> str:
    return value[1:] if value.startswith(_BYTES_MARK) else value
