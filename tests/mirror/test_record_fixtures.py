"""Mirror records written before their JSON went through orjson still read, verify and sync.

The fixture (``fixtures/records-2a40f9d.tar.gz``) was written by the code of commit
2a40f9de09b5e92b6ef18f96d45a93380a9b6fc9, the one before that change: a checksum-mode
one-way mirror (``src`` to ``dst``) and a two-way pair (``tw-left``, ``tw-right``) of a
small tree with a non-ASCII name (escaped as ``\\u00e9`` then, written as UTF-8 now), a
hard link, a symlink and an xattr. Tar keeps the mtimes and xattrs that git would not.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from workbench.filehash import hash_file
from workbench.strategies.mirror import record
from workbench.strategies.mirror.sync import sync_tree
from workbench.strategies.mirror.tree import scan
from workbench.strategies.mirror.twoway import load_state, signature, sync_two_way

FIXTURE = Path(__file__).parent / "fixtures" / "records-2a40f9d.tar.gz"
WRITTEN_BY = "2a40f9de09b5e92b6ef18f96d45a93380a9b6fc9"


@pytest.fixture
def old(tmp_path: Path) -> Path:
    subprocess.run(["tar", "--xattrs", "-xzf", FIXTURE, "-C", tmp_path], check=True)
    return tmp_path


def _contents(root: Path) -> dict[str, bytes]:
    return {p: (root / p).read_bytes() for p, e in scan(root, exclude_top=record.LEFT_OUT).items() if e.kind == "f"}


def test_an_old_checksum_record_still_vouches_for_every_file(old: Path) -> None:
    saved = record.load_sync(old / "dst")
    assert saved is not None and saved["checksum"] and "café/naïve.txt" in saved["hashes"]
    assert saved["hashes"] == {path: hash_file(old / "dst" / path).hex() for path in _contents(old / "dst")}


def test_a_sync_over_an_old_record_changes_nothing_and_keeps_its_hashes(old: Path) -> None:
    before = record.load_sync(old / "dst")
    result = sync_tree(old / "src", old / "dst", checksum=True)
    assert (result.created, result.updated, result.deleted, result.metadata) == (0, 0, 0, 0)
    after = record.load_sync(old / "dst")
    assert before is not None and after is not None and after["hashes"] == before["hashes"]
    assert _contents(old / "dst") == _contents(old / "src")


def test_an_old_two_way_state_reads_as_what_both_replicas_hold(old: Path) -> None:
    sides = [{p: signature(e) for p, e in scan(old / root, exclude_top=record.LEFT_OUT, xattrs=False).items() if p}
             for root in ("tw-left", "tw-right")]
    assert load_state(old / "tw-right") == sides[0] == sides[1]
    result = sync_two_way(old / "tw-left", old / "tw-right")
    assert (result.to_target, result.to_source, result.conflicts) == (0, 0, [])
    assert _contents(old / "tw-left") == _contents(old / "tw-right")
