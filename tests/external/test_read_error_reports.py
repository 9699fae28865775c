"""What each real tool says of the read errors it met, as captured on a disk with bad sectors (pure)."""

from __future__ import annotations

from workbench.strategies.external import partclone_output, restic_json, unison_output
from workbench.strategies.external.rsnapshot import _read_errors

#: ``partclone.ext4 -c -R`` over a served disk with one bad 4 KiB run (its log, trimmed).
PARTCLONE_RESCUE_LOG = """Block size:   1024 Byte
Total block 28672
WARNING: Can't read sector at 8626176, lost data.
WARNING: Can't read sector at 8626688, lost data.
WARNING: Can't read sector at 8627200, lost data.
WARNING: Can't read sector at 9000000, lost data.
Syncing... OK!
Partclone successfully cloned the device (/dev/loop1) to the image (-)
"""
PARTCLONE_STOPPED = """* WARNING: The disk has bad sectors. This means physical damage on the  *
* degrade quickly. Use the --rescue option to efficiently save as much  *
Partclone fail, please check /tmp/partclone-x/partclone.log !
"""
#: restic 0.14 ``backup --json``: the summary on stdout, the errors (empty Go error objects) on stderr.
RESTIC_STDOUT = ('{"message_type":"summary","files_new":0,"files_changed":1,"files_unmodified":20,'
                 '"data_added":1024,"total_files_processed":21,"total_bytes_processed":4096,'
                 '"total_duration":0.5,"snapshot_id":"5ad9fa90"}\n')
RESTIC_STDERR = ('{"message_type":"error","error":{},"during":"scan","item":"/mnt/home/carol/mail"}\n'
                 '{"message_type":"error","error":{},"during":"archival","item":"home/carol/mail"}\n'
                 'Warning: at least one source file could not be read\n')
UNISON_STDOUT = """Failed: Error in querying file information:
Input/output error [lstat(/mnt/home/carol/mail/.unison.000.eml.tmp)]
Synchronization incomplete at 01:42:51  (0 items transferred, 1 skipped, 2 failed)
  skipped: bob/notes.txt (properties changed on both sides)
  failed: carol/mail/000.eml
  failed: carol/mail/001.eml
"""


def test_partclone_says_when_it_stopped_on_bad_sectors_and_which_it_lost_in_rescue() -> None:
    assert partclone_output.has_bad_sectors(PARTCLONE_STOPPED)
    assert not partclone_output.has_bad_sectors(PARTCLONE_RESCUE_LOG)
    assert partclone_output.lost_ranges(PARTCLONE_RESCUE_LOG) == [(8626176, 1536), (9000000, 512)]


def test_restic_errors_on_stderr_are_counted_with_their_items() -> None:
    summary = restic_json.backup_summary(RESTIC_STDOUT, RESTIC_STDERR)
    assert summary.snapshot_id == "5ad9fa90"
    assert summary.errors == ("/mnt/home/carol/mail: scan", "home/carol/mail: archival")
    assert restic_json.backup_summary(RESTIC_STDOUT).errors == ()


def test_unison_failures_without_a_reason_are_still_failures() -> None:
    report = unison_output.parse(UNISON_STDOUT, "", ("/mnt/home", "/target"))
    assert [f["path"] for f in report.failures] == ["carol/mail/000.eml", "carol/mail/001.eml"]
    assert report.conflicts == [{"path": "bob/notes.txt", "reason": "properties changed on both sides"}]
    assert report.failed == 2


def test_rsnapshot_counts_named_io_errors_else_one_partial_transfer() -> None:
    partial = "rsnapshot hourly: WARNING: Some files and/or directories in /mnt/home/ only transferred partially"
    assert _read_errors([partial]) == 1
    assert _read_errors(["rsnapshot hourly: rsync: read errors mapping x: Input/output error (5)"] * 2) == 2
    assert _read_errors(["rsnapshot hourly: WARNING: some files vanished"]) == 0
