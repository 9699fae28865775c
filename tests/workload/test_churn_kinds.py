"""Each kind of churn changes a file the way its name says (plain folders, no root needed)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from workbench.workload.churn import ChurnRecord, churn
from workbench.workload.generate import build
from workbench.workload.profile import load_profile

#: One folder per kind, so no two kinds act on the same file.
PROFILE = """\
description: one folder per churn kind
default_data_size: 1M
users: [ann]
groups:
  - {path: etc, content: config, share: 1, size: [2K, 8K]}
  - {path: var/log, content: log, share: 1, size: [8K, 16K], names: [syslog, auth.log]}
  - {path: "{home}/Docs", content: text, share: 1, size: [4K, 16K]}
  - {path: "{home}/Pictures", content: jpeg, share: 1, size: [8K, 32K], names: photo, ext: [.jpg]}
churn:
  active_hours: [9, 17]
  ops:
    - {op: append, in: var/log, count: 3, bytes: 4K}
    - {op: modify, in: etc, count: 2, bytes: 512}
    - {op: rewrite, in: "{home}/Docs", count: 2}
    - {op: rename, in: "{home}/Pictures", count: 2}
"""

Snapshot = dict[str, tuple[int, bytes]]  # path -> (inode, content)


def snapshot(root: Path, folder: str) -> Snapshot:
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.read_bytes())
            for p in sorted((root / folder).rglob("*")) if p.is_file()}  # fmt: skip


class Day(NamedTuple):
    before: Snapshot
    after: Snapshot
    record: ChurnRecord
    via_links: dict[str, bytes]  # each file read after churn through a hard link made before it


@pytest.fixture(scope="module")
def churned(tmp_path_factory: pytest.TempPathFactory) -> Day:
    """The tree before and after one day of churn, and the day's record.

    Inode numbers are reused at once, so "same inode" is checked through hard links made
    (outside the tree) before churn: they only see the new content if the file was written in place.
    """
    base = tmp_path_factory.mktemp("kinds")
    (base / "kinds.yaml").write_text(PROFILE)
    profile = load_profile(base / "kinds.yaml")
    root = base / "tree"
    root.mkdir()
    build(profile, root, seed=4)
    folders = ("etc", "var/log", "home/ann/Docs", "home/ann/Pictures")
    before = {k: v for folder in folders for k, v in snapshot(root, folder).items()}
    (base / "links").mkdir()
    links = {path: base / "links" / str(i) for i, path in enumerate(before)}
    for path, link in links.items():
        link.hardlink_to(root / path)
    record = churn(profile, root, day=1)
    after = {k: v for folder in folders for k, v in snapshot(root, folder).items()}
    return Day(before, after, record, {path: link.read_bytes() for path, link in links.items()})


def modified_in(record: ChurnRecord, folder: str) -> list[str]:
    return sorted({p for p in record.modified if p.startswith(folder + "/")})


def test_append_grows_the_file_and_keeps_its_start(churned: Day) -> None:
    before, after, record, via_links = churned
    logs = modified_in(record, "var/log")
    assert logs
    for path in logs:
        assert via_links[path] == after[path][1], "append made a new file"
        assert after[path][1].startswith(before[path][1]), "append changed what was there"
    grown = sum(len(after[p][1]) - len(before[p][1]) for p in logs)
    assert grown == 3 * 4096  # three appends of 4 KiB, nothing else


def test_modify_writes_in_place_same_inode_and_size(churned: Day) -> None:
    before, after, record, via_links = churned
    paths = modified_in(record, "etc")
    assert paths
    for path in paths:
        old, new = before[path][1], after[path][1]
        assert via_links[path] == new and len(new) == len(old)
        changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
        assert 0 < len(changed) <= 2 * 512  # one or two 512-byte blocks (at most two ops), not the whole file


def test_rewrite_replaces_the_content_in_the_same_inode(churned: Day) -> None:
    before, after, record, via_links = churned
    paths = modified_in(record, "home/ann/Docs")
    assert paths
    for path in paths:
        assert via_links[path] == after[path][1], "rewrite made a new file"
        assert after[path][1][:64] != before[path][1][:64]  # new content from the first byte on


def test_rename_keeps_the_content_under_the_new_name(churned: Day) -> None:
    before, after, record, _ = churned
    assert len(record.renamed) == 2
    for old, _new in record.renamed:
        assert old not in after
    final_names = {new for _, new in record.renamed if new in after}
    assert final_names and not final_names & before.keys()
    pictures = "home/ann/Pictures/"
    contents = sorted(v for p, v in before.items() if p.startswith(pictures))
    assert sorted(v for p, v in after.items() if p.startswith(pictures)) == contents  # same inodes, same bytes


def test_database_pages_are_logged_in_the_wal_then_written_in_place(tmp_path: Path) -> None:
    profile = load_profile("database")
    root = tmp_path / "db"
    root.mkdir()
    build(profile, root, data_size=profile.min_data_size(), seed=2)
    db, wal = root / "var/lib/db/data.db", root / "var/lib/db/data.db-wal"
    db_before, wal_before = db.read_bytes(), wal.read_bytes()
    ino = db.stat().st_ino
    churn(profile, root, day=1, hours=range(0, 2))
    data, log = db.read_bytes(), wal.read_bytes()
    assert db.stat().st_ino == ino and len(data) == len(db_before)
    assert data != db_before
    page = 8192
    assert log.startswith(wal_before) and len(log) > len(wal_before)
    records = log[len(wal_before) :]
    assert len(records) % (16 + page) == 0
    last = records[-(16 + page) :]
    number = int.from_bytes(last[:8], "little")
    assert data[number * page : (number + 1) * page] == last[16:]  # the logged page is the one in the file
