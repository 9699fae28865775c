"""Reading rsync's output (3.2+, run with ``LC_ALL=C``): ``--stats``, ``--info=progress2`` and item lines. Pure.

The engine runs rsync with ``--out-format='%i|%C|%n%L'``, so every item it
touched is one line: the 11-character itemize code, the full-file checksum
rsync computed for it (``%C``: spaces unless known), and its name (a hard link
adds `` => OTHER``, a symlink `` -> TARGET``), split at the first two bars
(a name may hold bars of its own). Deletions print as ``*deleting`` with the
same layout. Names are printed with ``-8``, so only
control characters come escaped, as ``\\#ooo`` (octal).

Progress lines (``--info=progress2``) redraw with a carriage return and carry
the bytes done so far and the overall percentage.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

OUT_FORMAT = "%i|%C|%n%L"
ITEMIZE_WIDTH = 11

_STAT = re.compile(r"^(Number of [\w ]+?|Total [\w ]+?|Literal data|Matched data|File list size):\s*([\d,]+)")
_PROGRESS = re.compile(r"^\s*([\d,]+)\s+(\d+)%\s")
_ESCAPED = re.compile(r"\\#([0-7]{3})")
_ITEM = re.compile(r"^([<>ch.*][fdLDS]|\*deleting)")

#: --stats line -> field of RsyncStats.
_STAT_FIELDS = {
    "Number of files": "files",
    "Number of created files": "created",
    "Number of deleted files": "deleted",
    "Number of regular files transferred": "transferred",
    "Total file size": "total_bytes",
    "Total transferred file size": "transferred_bytes",
    "Literal data": "literal_bytes",
    "Matched data": "matched_bytes",
    "Total bytes sent": "sent_bytes",
    "Total bytes received": "received_bytes",
}


@dataclass
class RsyncStats:
    """The figures of ``--stats``; every count as rsync printed it."""

    files: int = 0  # entries of every kind rsync considered
    created: int = 0
    deleted: int = 0
    transferred: int = 0  # regular files whose data was sent
    total_bytes: int = 0  # size of all the files considered
    transferred_bytes: int = 0  # size of the files transferred
    literal_bytes: int = 0  # data written from scratch (the rest matched data already there)
    matched_bytes: int = 0
    sent_bytes: int = 0
    received_bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Item:
    """One line of ``--out-format``: what rsync did to one name."""

    change: str  # the itemize code: '>f+++++++++', '.d..t......', '*deleting', 'hf' ...
    checksum: str  # the full-file checksum rsync knew for it ('' when none)
    name: str  # relative to the transfer's root; a folder ends in '/'
    link: str = ""  # a hard link's other name ('=> OTHER'), or a symlink's target

    @property
    def deleted(self) -> bool:
        return self.change.startswith("*deleting")

    @property
    def file_type(self) -> str:
        """'f' file, 'd' folder, 'L' symlink, 'D' device, 'S' special ('' for a deletion)."""
        return "" if self.deleted else self.change[1]

    @property
    def hard_link(self) -> bool:
        return self.change.startswith("h")


def unescape(name: str) -> str:
    """Undo rsync's ``\\#ooo`` escapes (control characters in names), keeping other bytes as they came."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 8)), name)


def parse_stats(text: str) -> RsyncStats:
    stats = RsyncStats()
    for line in text.splitlines():
        match = _STAT.match(line.strip())
        if match and match.group(1) in _STAT_FIELDS:
            setattr(stats, _STAT_FIELDS[match.group(1)], int(match.group(2).replace(",", "")))
    return stats


def parse_items(text: str) -> list[Item]:
    """Every item line, in order; progress redraws and the stats block are skipped."""
    items = []
    for line in text.split("\n"):
        for segment in line.split("\r"):
            item = parse_item(segment)
            if item is not None:
                items.append(item)
    return items


def parse_item(line: str) -> Item | None:
    if len(line) <= ITEMIZE_WIDTH + 1 or not _ITEM.match(line) or line[ITEMIZE_WIDTH] != "|":
        return None
    change = line[:ITEMIZE_WIDTH].rstrip()
    checksum, bar, rest = line[ITEMIZE_WIDTH + 1:].partition("|")
    checksum = checksum.strip()
    if not bar or not all(c in "0123456789abcdef" for c in checksum):
        return None
    name, link = rest, ""
    if change.startswith("h") and " => " in rest:
        name, _, link = rest.rpartition(" => ")
    elif change[1:2] == "L" and " -> " in rest:
        name, _, link = rest.partition(" -> ")
    return Item(change, checksum, unescape(name), unescape(link))


def last_progress(text: str) -> tuple[int, int] | None:
    """(bytes done, percent) of the last ``--info=progress2`` line, or None when there is none."""
    found = None
    for line in text.split("\n"):
        for segment in line.split("\r"):
            match = _PROGRESS.match(segment)
            if match:
                found = (int(match.group(1).replace(",", "")), int(match.group(2)))
    return found


def version_of(text: str) -> tuple[int, ...]:
    """'rsync  version 3.2.7  protocol version 31' -> (3, 2, 7); () when it names none."""
    match = re.search(r"version\s+(\d+(?:\.\d+)+)", text)
    return tuple(int(part) for part in match.group(1).split(".")) if match else ()
