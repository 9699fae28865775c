"""rsync's output as the adapter reads it (captured from rsync 3.2+, LC_ALL=C), and what verify makes of it."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench.errors import UsageError
from workbench.strategies.base import Lister
from workbench.strategies.external import folder, rsync
from workbench.strategies.external.rsync import RsyncMirror, apply_items
from workbench.strategies.external.rsync_output import last_progress, parse_items, parse_stats, version_of

#: rsync -aHAX8 --delete --stats --info=progress2 --checksum-choice=md5 --out-format='%i|%C|%n%L' (first run)
FIRST_RUN = (
    "created directory d2\n"
    "cd+++++++++|                                |./\n"
    "cd+++++++++|                                |x/\n"
    "\r              0   0%    0.00kB/s    0:00:00 (xfr#0, to-chk=3/9)\n"
    ">f+++++++++|3b5d5c3712955042212316173ccf37be|x/b|c\n"
    ">f+++++++++|9dd4e461268c8034f5c8564e155c67a6|x/we ird\\#012name\n"
    ">f+++++++++|60b725f10c9c85c70d97880dfe8191b3|x/h\n"
    "hf+++++++++|                                |x/a => x/h\n"
    "cL+++++++++|                                |x/sl -> ../x/a\n"
    "cS+++++++++|                                |x/fifo\n"
    "\r        100,004  49%   95.37MB/s    0:00:00 (xfr#3, to-chk=1/9)"
    "\r        200,011 100%   47.69MB/s    0:00:00 (xfr#3, to-chk=0/9)\n"
    "\n"
    "Number of files: 9 (reg: 4, dir: 3, link: 1, special: 1)\n"
    "Number of created files: 9 (reg: 4, dir: 3, link: 1, special: 1)\n"
    "Number of deleted files: 0\n"
    "Number of regular files transferred: 3\n"
    "Total file size: 200,011 bytes\n"
    "Total transferred file size: 100,004 bytes\n"
    "Literal data: 100,004 bytes\n"
    "Matched data: 0 bytes\n"
    "File list size: 0\n"
    "File list generation time: 0.001 seconds\n"
    "File list transfer time: 0.000 seconds\n"
    "Total bytes sent: 100,420\n"
    "Total bytes received: 139\n"
    "\n"
    "sent 100,420 bytes  received 139 bytes  201,118.00 bytes/sec\n"
    "total size is 200,011  speedup is 1.99\n"
)

#: The next run, after x/b|c was deleted, x/h's times changed and a folder removed.
NEXT_RUN = (
    "*deleting  |                                |x/b|c\n"
    "*deleting  |                                |old/\n"
    ".d..t......|                                |x/\n"
    ".f..t......|                                |x/h\n"
    "Number of deleted files: 3 (reg: 2, dir: 1)\n"
)


def test_the_stats_are_read_as_numbers() -> None:
    stats = parse_stats(FIRST_RUN)
    assert (stats.files, stats.created, stats.deleted, stats.transferred) == (9, 9, 0, 3)
    assert (stats.total_bytes, stats.transferred_bytes, stats.literal_bytes) == (200_011, 100_004, 100_004)
    assert (stats.sent_bytes, stats.received_bytes) == (100_420, 139)
    assert parse_stats(NEXT_RUN).deleted == 3


def test_items_keep_names_with_bars_spaces_and_escapes() -> None:
    items = {item.name: item for item in parse_items(FIRST_RUN)}
    assert set(items) == {"./", "x/", "x/b|c", "x/we ird\nname", "x/h", "x/a", "x/sl", "x/fifo"}
    assert items["x/b|c"].checksum == "3b5d5c3712955042212316173ccf37be" and items["x/b|c"].file_type == "f"
    assert items["x/a"].hard_link and items["x/a"].link == "x/h" and items["x/a"].checksum == ""
    assert items["x/sl"].file_type == "L" and items["x/sl"].link == "../x/a"
    assert not any(item.deleted for item in items.values())
    assert [i.name for i in parse_items(NEXT_RUN) if i.deleted] == ["x/b|c", "old/"]


def test_progress_is_the_last_redraw() -> None:
    assert last_progress(FIRST_RUN) == (200_011, 100)
    assert last_progress(NEXT_RUN) is None


def test_the_checksum_map_follows_what_rsync_did() -> None:
    first = apply_items({}, parse_items(FIRST_RUN))
    assert first == {"x/b|c": "3b5d5c3712955042212316173ccf37be", "x/we ird\nname": "9dd4e461268c8034f5c8564e155c67a6",
                     "x/h": "60b725f10c9c85c70d97880dfe8191b3", "x/a": "60b725f10c9c85c70d97880dfe8191b3"}
    later = apply_items({**first, "old/f": "00" * 16}, parse_items(NEXT_RUN))
    assert "x/b|c" not in later and "old/f" not in later, "a deletion drops the file and what was under a folder"
    assert later["x/h"] == first["x/h"], "a change of times alone keeps the checksum"


def test_the_version_needed_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert version_of("rsync  version 3.2.7  protocol version 31") == (3, 2, 7)
    rsync.require_rsync.cache_clear()
    monkeypatch.setattr(rsync.proc, "version", lambda tool: "rsync  version 3.1.3  protocol version 31")
    with pytest.raises(UsageError, match=r"rsync 3\.2 or newer is needed .* this one is 3\.1\.3"):
        rsync.require_rsync()
    rsync.require_rsync.cache_clear()


def test_the_engine_fits_the_strategy_and_lister_protocols() -> None:
    assert isinstance(RsyncMirror(), Lister)  # the Strategy protocol: tests/test_targets.py, checked by mypy


# -- verify: the mirror against the checksums rsync printed, on a real rsync run (no disks) ---------

def _tree(root: Path) -> None:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "letter.txt").write_bytes(b"dear reader\n" * 100)
    (root / "docs" / "notes.md").write_bytes(b"# notes\n" * 50)
    (root / "photo.jpg").write_bytes(os.urandom(5000))
    os.link(root / "photo.jpg", root / "photo-copy.jpg")


@pytest.mark.parametrize("checksum", [False, True])
def test_verify_finds_what_changed_in_the_mirror_since_rsync_wrote_it(tmp_path: Path, checksum: bool) -> None:
    source, mirror = tmp_path / "source", tmp_path / "mirror"
    _tree(source)
    engine = RsyncMirror(checksum=checksum)
    engine.protect(source, mirror, now=datetime(2026, 1, 5, 1, tzinfo=UTC))
    clean = engine.verify(mirror)
    assert clean.damage == [] and clean.checked == 4
    letter = mirror / "docs" / "letter.txt"
    times = letter.stat()
    data = bytearray(letter.read_bytes())
    data[7] ^= 0x01  # rot: same size and mtime, so a quick check would not see it
    letter.write_bytes(bytes(data))
    os.utime(letter, ns=(times.st_atime_ns, times.st_mtime_ns))
    os.rename(mirror / "docs" / "notes.md", mirror / "docs" / "notes.md.locked")
    found = {(d.where, d.detail.split(" ")[0]) for d in engine.verify(mirror).damage}
    assert found == {("docs/letter.txt", "content"), ("docs/notes.md", "missing"),
                     ("docs/notes.md.locked", "not")}


def test_a_sync_that_did_not_finish_is_followed_by_one_that_relists_every_checksum(tmp_path: Path) -> None:
    source, mirror = tmp_path / "source", tmp_path / "mirror"
    _tree(source)
    engine = RsyncMirror()
    engine.protect(source, mirror, now=datetime(2026, 1, 5, 1, tzinfo=UTC))
    record = folder.load_record(mirror / rsync.RECORD)
    assert record is not None
    folder.save_record(mirror / rsync.RECORD, {**record, "running": True, "checksums": {}})  # killed mid-run
    point = engine.protect(source, mirror, now=datetime(2026, 1, 5, 2, tzinfo=UTC))
    assert point.extra["rebuilt_checksums"] is True and point.extra["transferred"] == 0
    assert engine.verify(mirror).damage == []
    listed = {entry.path: entry for entry in engine.listing(mirror, "now")}
    assert listed["photo.jpg"].hash == listed["photo-copy.jpg"].hash and listed["photo.jpg"].hash_name == "md5"
