"""The tools' own output, read by the pure parsers: samples captured from restic 0.14 and borg 1.2.4
(``samples/``: a two-file tree, then one bit flipped in its data pack or segment), and the small
framework pieces the engines share. No tool runs here."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench import proc
from workbench.errors import OperationFailed, UsageError
from workbench.strategies.base import Listed, Lister
from workbench.strategies.external import base, borg, borg_json, restic, restic_json, rsnapshot, rsnapshot_conf

SAMPLES = Path(__file__).parent / "samples"
SNAPSHOT = "5ee0635c053093ef60b0ddd5ccf3c0d669d581a6932abb5c21435ea85853d7cc"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


# -- restic ----------------------------------------------------------------------------------------------------

def test_restic_backup_summary_and_progress() -> None:
    summary = restic_json.backup_summary(sample("restic_backup.jsonl"))
    assert (summary.snapshot_id, summary.files_new, summary.total_files) == ("5ee0635c", 2, 2)
    assert summary.data_added > summary.total_bytes == 300_006, "what the run stored: data plus its trees"
    with pytest.raises(OperationFailed, match="without its summary: /x: permission denied"):
        restic_json.backup_summary('{"message_type":"error","error":{"message":"permission denied"},"item":"/x"}')


def test_restic_snapshots_and_listing() -> None:
    [snapshot] = restic_json.snapshots(sample("restic_snapshots.json"))
    assert (snapshot.id, snapshot.short_id, snapshot.parent) == (SNAPSHOT, "5ee0635c", None)
    assert snapshot.time == datetime(2026, 1, 5, 2, tzinfo=UTC)
    listed = {entry.path: entry for entry in restic_json.nodes(sample("restic_ls.jsonl"))}
    assert set(listed) == {"home", "home/alice", "home/alice/a.txt", "home/alice/link", "home/bob", "home/bob/b.bin"}
    assert listed["home/bob/b.bin"] == Listed("home/bob/b.bin", "file", 300_000, listed["home/bob/b.bin"].mtime_ns)
    assert (listed["home/alice/link"].kind, listed["home/alice"].kind, listed["home"].size) == ("symlink", "dir", 0)


def test_restic_times_keep_their_nanoseconds() -> None:
    assert restic_json.rfc3339_ns("1970-01-01T00:00:01.000000007Z") == 1_000_000_007
    assert restic_json.rfc3339_ns("1970-01-01T01:00:01.5+01:00") == 1_500_000_000
    with pytest.raises(OperationFailed, match="not RFC 3339"):
        restic_json.rfc3339_ns("yesterday")


def test_restic_check_names_the_damaged_pack_and_nothing_else() -> None:
    findings = restic_json.check_findings(sample("restic_check_damaged.txt"))
    assert findings.packs == [sample("restic_damaged_pack.txt").strip()]
    assert len(findings.errors) == 1 and findings.errors[0].startswith("Pack ID does not match")
    hints = restic_json.check_findings(sample("restic_check_hints.txt"))
    assert hints.clean, "packs a killed run left are a hint to prune, not damage"


def test_restic_find_names_the_snapshots_holding_the_pack() -> None:
    assert restic_json.snapshots_using(sample("restic_find_pack.json")) == {SNAPSHOT}
    assert restic_json.snapshots_using("[]\n[]") == set()
    assert restic_json.snapshots_using('[{"snapshot": "a"}] [{"snapshot": "b"}]') == {"a", "b"}


# -- borg ------------------------------------------------------------------------------------------------------

def test_borg_create_and_its_log() -> None:
    made = borg_json.created(sample("borg_create.json"))
    assert (made.name, made.files, made.time) == ("2026-01-05T02:00:00", 2, datetime(2026, 1, 5, 2, tzinfo=UTC))
    assert made.deduplicated_bytes >= made.original_bytes - 1000 > 0
    assert [line.level for line in borg_json.log_lines(sample("borg_create_log.jsonl"))] == [], "progress only"
    with pytest.raises(OperationFailed, match="printed no archive"):
        borg_json.created("")


def test_borg_archives_and_items() -> None:
    [archive] = borg_json.archives(sample("borg_list.json"))
    assert archive.name == "2026-01-05T02:00:00" and archive.time == datetime(2026, 1, 5, 2, tzinfo=UTC)
    listed = {entry.path: entry for entry in borg_json.items(sample("borg_list_items.jsonl"))}
    assert listed["home/bob/b.bin"].size == 300_000 and listed["home/alice/link"].kind == "symlink"
    assert listed["home/alice/a.txt"].mtime_ns % 1000 == 0, "borg lists mtimes to the microsecond"
    assert borg_json.borg_time_ns("1970-01-01T00:00:01.000002") == 1_000_002_000


def test_borg_check_finds_the_damaged_chunk_after_the_segment_scan() -> None:
    scan = borg_json.check_findings(sample("borg_check_repository.jsonl"))
    assert scan.repository_damaged and scan.segments == [(2, 98)] and not scan.chunks
    assert len(scan.scan_lost) == 4, "the scan loses sight of every entry from the bad one on"
    borg_json.check_findings(sample("borg_check_archives.jsonl"), into=scan)
    assert scan.chunks == ["dbed772e65cefefe4f7f6dd914c14ae577414d04f21da5f47cf9f101adac618f"]
    assert scan.chunks[0] in borg_json.referenced_ids(sample("borg_dump_archive.json"))
    assert borg_json.check_findings("").clean


def test_borg_dump_shows_every_object_the_archive_uses() -> None:
    used = borg_json.referenced_ids(sample("borg_dump_archive.json"))
    [archive] = borg_json.archives(sample("borg_list.json"))
    assert archive.id in used and all(len(i) == 64 for i in used)
    assert len(used) == 1 + 1 + 2, "the archive, its item metadata, a.txt's chunk and b.bin's chunk"


# -- rsnapshot ---------------------------------------------------------------------------------------------------

def test_rsnapshot_config_has_tabs_and_both_levels() -> None:
    text = rsnapshot_conf.config(target=Path("/t"), source=Path("/s"), folders=["home"], lockfile=Path("/l.pid"),
                                 tools={"cp": "/bin/cp", "rm": "/bin/rm", "rsync": "/usr/bin/rsync"})
    lines = dict(line.split("\t", 1) for line in text.splitlines())
    assert lines["snapshot_root"] == "/t/" and lines["backup"] == "/s/home/\tdata/home/"
    retained = [line for line in text.splitlines() if line.startswith("retain")]
    assert retained == ["retain\thourly\t24", "retain\tdaily\t31"]
    with pytest.raises(UsageError, match="line break"):
        rsnapshot_conf.config(target=Path("/t\n"), source=Path("/s"), folders=[], lockfile=Path("/l"),
                              tools={"cp": "", "rm": "", "rsync": ""})


def test_rsnapshot_snapshots_newest_first_and_listings_round_trip() -> None:
    names = [s.name for s in rsnapshot_conf.snapshot_names(["daily.0", "hourly.10", "hourly.2", "weekly.0", "x"])]
    assert names == ["hourly.2", "hourly.10", "daily.0"]
    hashes = {"home/a b.txt": "0" * 64, "home/back\\slash": "1" * 64, "home/new\nline": "2" * 64}
    text = rsnapshot_conf.listing_text(hashes)
    assert text.splitlines()[0] == "0" * 64 + "  home/a b.txt", "the sha256sum format"
    assert rsnapshot_conf.parse_listing(text) == hashes


# -- the framework ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("module", [restic, borg, rsnapshot])
def test_every_engine_fits_the_protocols_and_names_its_tools(module, tmp_path: Path) -> None:
    engine = module.make(folders=("home",), state=tmp_path)
    assert isinstance(engine, Lister)  # the Strategy protocol: tests/test_targets.py, checked by mypy
    assert all(tool in proc.TOOLS for tool in module.TOOLS)
    if module is not rsnapshot:  # its data paths are its snapshot folders, read from the target
        assert engine.data_paths(tmp_path / "repo") == [tmp_path / "repo" / "data"], "packs, not locks or keys"


def test_versions_are_read_and_refused_in_one_line() -> None:
    assert base.parse_version("restic 0.14.0 compiled with go1.19.8 on linux/amd64") == (0, 14, 0)
    assert base.parse_version("borg 1.2.4") == (1, 2, 4) and base.parse_version("?") is None
    base.check_version(restic.NEED, "restic 0.16.4")
    with pytest.raises(UsageError, match=r"^restic 0.9.6 is too old: the workbench needs restic 0.14 or newer for "
                                         r"repository format 2 \(compression\); install a newer 'restic' package$"):
        base.check_version(restic.NEED, "restic 0.9.6 compiled with go1.13")
    with pytest.raises(UsageError, match="borg 1.1.18 is too old: the workbench needs borg 1.2"):
        base.check_version(borg.NEED, "borg 1.1.18")


def test_a_missing_tool_names_its_apt_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(proc, "_which", lambda name: None)
    base.require.cache_clear()
    with pytest.raises(UsageError, match=r"the tool 'borg' is not installed: run 'apt-get install borgbackup'"):
        base.require(borg.NEED)
    base.require.cache_clear()


def test_keys_live_in_the_workspace_readable_by_their_owner_only(workspace: Path) -> None:
    key = base.key_file("restic.password")
    assert key.parent == workspace / "keys" and key.stat().st_mode & 0o777 == 0o600
    assert base.secret("restic.password") == key.read_text().strip() and len(key.read_text().strip()) >= 40
    assert base.key_file("restic.password").read_text() == key.read_text(), "made once, then kept"


def test_allocated_bytes_count_a_hard_linked_file_once(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 100_000)
    single = base.allocated_bytes(tmp_path)
    (tmp_path / "b").hardlink_to(tmp_path / "a")
    assert base.allocated_bytes(tmp_path) == single >= 100_000
    assert base.allocated_bytes(tmp_path / "missing") == 0


def test_borg_variants_and_archive_names(tmp_path: Path) -> None:
    assert borg.make(state=tmp_path).variant == "none" and borg.make("repokey", state=tmp_path).variant == "repokey"
    with pytest.raises(UsageError, match="variants are none, repokey"):
        borg.make("blake2", state=tmp_path)
    with pytest.raises(UsageError, match="has no variant"):
        restic.make("fast", state=tmp_path)
    now = datetime(2026, 1, 5, 2, tzinfo=UTC)
    assert borg._archive_name(now, set()) == "2026-01-05T02:00:00"
    assert borg._archive_name(now, {"2026-01-05T02:00:00"}) == "2026-01-05T02:00:00.2"
