"""Redacting a user's file names from a results folder's cell details (``compare --redact-names``).

A cell's details (``cells/<cell>.json``) name the files that were damaged,
restored or judged. When the workload is a person's own folder those are their
names. Redacting replaces every name of the folder (a file's or a folder's,
wherever it appears in a path or a message) by a token: ``n-`` and ten hex
digits of a keyed BLAKE3 of the name, with a short extension kept (``.pdf``) so
a reader still sees the kind of file. The key lives in the workspace
(``keys/names.key``), so the same name gives the same token in every cell and
every run on this machine, and nobody without the key can test a guess.

Names the workbench made (a churned file, the home ``home/user``) are not the
user's and stay. The row columns a cell is known by are never touched.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import blake3

from .. import workspace
from ..durable import write_atomic

MARK = "names_redacted"
#: The details' keys that identify a cell or time it: never redacted.
KEEP = frozenset({"cell", "phases_s", "row", "status", MARK})
_SEPARATORS = re.compile(r"""([/\s'"`:,;()\[\]{}=])""")
_QUOTES = " '\"`()[]{}:,;"
_SHORT_EXT = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def names_key() -> bytes:
    """The workspace's redaction key (made on first use; only its owner can read it)."""
    folder = workspace.home() / "keys"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / "names.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        key = secrets.token_bytes(32)
        handle.write(key)
    return key


class Redactor:
    """Replaces the given names by stable tokens, in paths and in free text (pure, given the key)."""

    def __init__(self, names: Iterable[str], key: bytes) -> None:
        self.names = frozenset(n for n in names if n)
        self.key = key

    def token(self, name: str) -> str:
        ext = _SHORT_EXT.search(name)
        digest = blake3.blake3(name.encode(), key=self.key).hexdigest()[:10]
        return f"n-{digest}{ext.group() if ext else ''}"

    def text(self, text: str) -> str:
        """Path components (spaces and all, quotes around them kept), then names between separators."""
        text = "/".join(self._component(part) for part in text.split("/"))
        pieces = _SEPARATORS.split(text)
        return "".join(self.token(piece) if piece in self.names else piece for piece in pieces)

    def _component(self, part: str) -> str:
        core = part.strip(_QUOTES)
        if core not in self.names:
            return part
        start = part.index(core)
        return part[:start] + self.token(core) + part[start + len(core):]

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: v if k in KEEP else self.value(v)
                    for k, v in value.items()}
        return value


def redact_details_file(path: Path, redactor: Redactor) -> bool:
    """Rewrite one cell's details with the names redacted; False if it was redacted already."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or data.get(MARK):
        return False
    redacted = redactor.value(data)
    redacted[MARK] = True
    write_atomic(path, json.dumps(redacted, indent=1, default=str).encode(), sync=False)
    return True


def redact_cells(folder: Path, redactor: Redactor) -> int:
    """Redact every cell's details in ``folder`` (``OUT/cells``) not yet redacted; how many were."""
    if not folder.is_dir():
        return 0
    return sum(redact_details_file(path, redactor) for path in sorted(folder.glob("*.json")))
