"""Parsing btrfs' own reports (frozen outputs of btrfs-progs 6.2), without root."""

from __future__ import annotations

from workbench.disk import btrfs

SCRUB_REPAIRED = """scrub done for 0c954bfb-d7fa-4006-aab9-9f4e2aaa9562
Scrub started:    Wed Nov 25 16:26:20 2026
Status:           finished
Duration:         0:00:00
Total to scrub:   248.00MiB
Rate:             0.00B/s
Error summary:    csum=3
  Corrected:      2
  Uncorrectable:  1
  Unverified:     0
"""

SCRUB_CLEAN = """scrub done for 0c954bfb-d7fa-4006-aab9-9f4e2aaa9562
Status:           finished
Error summary:    no errors found
"""

USAGE = """Overall:
    Device size:\t\t         268435456
    Device allocated:\t\t         218103808
    Used:\t\t\t            335872
    Free (estimated):\t\t          92254208\t(min: 92254208)
    Data ratio:\t\t\t              2.00
    Metadata ratio:\t\t              2.00
"""


def test_scrub_counts_are_read_from_its_summary() -> None:
    report = btrfs.parse_scrub(SCRUB_REPAIRED)
    assert (report.status, report.errors, report.corrected, report.uncorrectable) == ("finished", {"csum": 3}, 2, 1)
    assert not report.clean and report.scrubbed_bytes == 248 << 20
    assert btrfs.parse_scrub(SCRUB_CLEAN).clean


def test_usable_capacity_is_raw_over_the_data_ratio() -> None:
    size = btrfs.parse_usage(USAGE)
    assert (size.raw_bytes, size.usable_bytes, size.used_bytes) == (268435456, 134217728, 335872)


def test_device_stats_filefrag_and_map_logical() -> None:
    stats = btrfs.parse_device_stats("[/dev/loop0].corruption_errs  1\n[/dev/loop1].corruption_errs  0\n")
    assert stats == {"/dev/loop0": {"corruption_errs": 1}, "/dev/loop1": {"corruption_errs": 0}}
    frag = (" ext:     logical_offset:        physical_offset: length:   expected: flags:\n"
            "   0:        0..       4:      21520..     21524:      5:             last,eof\n"
            "   1:        5..       5:          0..         0:      1:             inline\n")
    assert btrfs.parse_filefrag(frag) == [(0, 21520, 5)]
    mapped = ("mirror 1 logical 88145920 physical 88145920 device /dev/loop0\n"
              "mirror 2 logical 88145920 physical 67174400 device /dev/loop1\n")
    assert btrfs.parse_map_logical(mapped) == [(1, 88145920, "/dev/loop0"), (2, 67174400, "/dev/loop1")]
