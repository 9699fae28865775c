"""A real SQLite database, created and updated in place with Python's sqlite3.

The same statements in the same order give the same file bytes, so the
database is as deterministic as every other generated file.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from .content import derive_key, keystream, phrases

_SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, stamp INTEGER NOT NULL, blob BLOB
);
CREATE INDEX IF NOT EXISTS notes_stamp ON notes(stamp);
"""


def _rows(key: bytes, count: int, first_id: int, stamp: int) -> list[tuple[int, str, str, int, bytes]]:
    text = phrases("text", key, count * 700).decode()
    noise = keystream(derive_key(key, "blob"), count * 64)
    rows = []
    for i in range(count):
        body = text[i * 700 : i * 700 + 200 + (noise[i * 64] * 2)]
        rows.append((first_id + i, body[:40].strip(), body, stamp + i, noise[i * 64 : (i + 1) * 64]))
    return rows


def create(path: Path, size: int, key: bytes, stamp: int) -> None:
    """Create a database of about ``size`` bytes (rows are added until it reaches it)."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.executescript("PRAGMA journal_mode=DELETE; PRAGMA page_size=4096; PRAGMA synchronous=OFF;" + _SCHEMA)
        next_id, batch = 1, 0
        while path.stat().st_size < size:
            db.execute("BEGIN")
            db.executemany("INSERT INTO notes VALUES (?, ?, ?, ?, ?)",
                           _rows(derive_key(key, batch), 200, next_id, stamp))
            db.execute("COMMIT")
            next_id += 200
            batch += 1


def update(path: Path, key: bytes, rows: int, stamp: int) -> int:
    """One transaction that updates ``rows`` existing rows and inserts ``rows // 4`` new ones.

    Returns the number of rows touched. The file is rewritten in place (pages
    change inside it), like an application database.
    """
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        # No fsync per transaction: the simulated day is flushed when the disk is unmounted,
        # and an fsync on a loop device costs more than the whole update.
        db.execute("PRAGMA synchronous=OFF")
        (high,) = db.execute("SELECT COALESCE(MAX(id), 0) FROM notes").fetchone()
        picks = keystream(derive_key(key, "picks"), 4 * rows)
        new = _rows(key, max(1, rows // 4), high + 1, stamp)
        db.execute("BEGIN")
        for i in range(rows):
            row_id = 1 + int.from_bytes(picks[4 * i : 4 * i + 4], "little") % max(high, 1)
            db.execute("UPDATE notes SET body = body || ?, stamp = ? WHERE id = ?", (f" edit {stamp}", stamp, row_id))
        db.executemany("INSERT INTO notes VALUES (?, ?, ?, ?, ?)", new)
        db.execute("COMMIT")
    return rows + len(new)
