"""partclone's messages as the adapter reads them, captured from partclone 0.3.23 (off a terminal, -B -f 1)."""

from __future__ import annotations

from workbench.strategies.base import Lister
from workbench.strategies.external.partclone import PartcloneImage
from workbench.strategies.external.partclone_output import first_problem, lines, parse

#: partclone.ext4 -c -B -f 1 of a root partition.
CLONE = (
    'Partclone v0.3.23 http://partclone.org\n'
    'Starting to clone device (/dev/loop1) to image (/ws/cap.pcl)\n'
    'Reading Super Block\n'
    'Calculating bitmap... Please wait... \n'
    '\n'
    '                                                                                \n'
    'Elapsed: 00:00:01, Remaining: 00:00:00, Completed: 100.00%\n'
    'Total Time: 00:00:01, 100.00% completed!\n'
    'done!\n'
    'File system:  EXTFS\n'
    'Device size:   96.5 MB = 94208 Blocks\n'
    'Space in use:  20.5 MB = 20038 Blocks\n'
    'Free Space:    76.0 MB = 74170 Blocks\n'
    'Block size:   1024 Byte\n'
    '\n'
    '                                                                                \n'
    'Elapsed: 00:00:01, Remaining: 00:01:39, Completed:   1.00%,   0.00byte/min,\n'
    '                                                                                \n'
    'Elapsed: 00:00:01, Remaining: 00:00:00, Completed: 100.00%, Rate:   1.23GB/min,\n'
    'Total Time: 00:00:01, 100.00% completed!\n'
    'Syncing... OK!\n'
    'Partclone successfully cloned the device (/dev/loop1) to the image (/ws/cap.pcl)\n'
    'Cloned successfully.\n'
)

#: partclone.ext4 -r of that image onto a new partition.
RESTORE = (
    'Partclone v0.3.23 http://partclone.org\n'
    'Starting to restore image (/ws/cap.pcl) to device (/dev/loop1)\n'
    'Calculating bitmap... Please wait...\n'
    'done!\n'
    'File system:  EXTFS\n'
    'Device size:   96.5 MB = 94208 Blocks\n'
    'Space in use:  20.5 MB = 20038 Blocks\n'
    'Free Space:    76.0 MB = 74170 Blocks\n'
    'Block size:   1024 Byte\n'
    '\n'
    '                                                                                \n'
    'Elapsed: 00:00:01, Remaining: 00:01:39, Completed:   1.00%,   0.00byte/min,\n'
    '                                                                                \n'
    'Elapsed: 00:00:01, Remaining: 00:00:00, Completed: 100.00%, Rate:   1.23GB/min,\n'
    'Total Time: 00:00:01, 100.00% completed!\n'
    'Syncing... OK!\n'
    'Partclone successfully restored the image (/ws/cap.pcl) to the device (/dev/loop1)\n'
    'Cloned successfully.\n'
)

#: partclone.chkimg of the image with one bit flipped in its body: the CRC error is glued to a progress line.
CRC_ERROR = (
    'Partclone v0.3.23 http://partclone.org\n'
    'Starting to check image (/ws/cap.pcl)\n'
    'Calculating bitmap... Please wait...\n'
    'done!\n'
    'File system:  EXTFS\n'
    'Device size:   96.5 MB = 94208 Blocks\n'
    'Space in use:  20.5 MB = 20038 Blocks\n'
    'Free Space:    76.0 MB = 74170 Blocks\n'
    'Block size:   1024 Byte\n'
    '\n'
    '                                                                                \n'
    'Elapsed: 00:00:01, Remaining: 00:01:39, Completed:   1.00%,   0.00byte/min,CRC error, block_id=12194...\n'
    ' \n'
    '                                                                                \n'
    'Elapsed: 00:00:01, Remaining: 00:00:01, Completed:  45.99%, 566.23MB/min,\n'
    '                                                                                \n'
    'Elapsed: 00:00:02, Remaining: 00:00:02, Completed:  45.99%, 283.12MB/min,\n'
    '                                                                                \n'
    'Elapsed: 00:00:03, Remaining: 00:00:03, Completed:  45.99%, 188.74MB/min,'
    'Partclone fail, please check /ws/l.log !\n'
)

#: partclone.chkimg of a stream zstd stopped decoding (its frame checksum failed): no header to read.
NO_HEADER = (
    'Partclone v0.3.23 http://partclone.org\n'
    'Starting to check image (-)\n'
    'read image_hdr error=0\n'
    'Partclone fail, please check /ws/l.log !\n'
)

#: On a terminal, progress redraws with carriage returns and escapes (partclone.fat of an ESP, by default).
FAT_ON_A_TERMINAL = (
    "File system:  FAT32\nDevice size:   35.7 MB = 69632 Blocks\nSpace in use: 632.8 KB = 1236 Blocks\n"
    "Block size:   512 Byte\n\r" + " " * 80 + "\rElapsed: 00:00:01, Remaining: 00:00:00, Completed: 100.00%\n"
    "\r" + " " * 80 + "\rcurrent block:       1236, total block:      69632, Complete: 100.00%\x1b[A\r\n"
    "Total Time: 00:00:01, Ave. Rate:   38.0MB/min, 100.00% completed!\n"
    "Partclone successfully cloned the device (/dev/loop1) to the image (-)\n"
)


def test_a_clone_gives_its_filesystem_in_exact_blocks() -> None:
    report = parse(CLONE)
    assert (report.filesystem, report.block_size, report.device_blocks, report.used_blocks) == (
        "EXTFS", 1024, 94208, 20038)
    assert (report.device_bytes, report.used_bytes) == (94208 * 1024, 20038 * 1024)
    assert report.succeeded == "cloned" and report.problems == [] and report.seconds == 1
    assert parse(RESTORE).succeeded == "restored"


def test_damage_is_named_even_when_glued_to_a_progress_line() -> None:
    report = parse(CRC_ERROR)
    assert report.succeeded == ""
    assert report.problems == ["CRC error, block_id=12194...", "Partclone fail, please check /ws/l.log !"]
    assert first_problem("", CRC_ERROR) == "CRC error, block_id=12194..."
    assert first_problem(NO_HEADER) == "read image_hdr error=0"
    assert first_problem("bad.zst : Decoding error (36) : Data corruption detected \n", NO_HEADER) == (
        "bad.zst : Decoding error (36) : Data corruption detected")


def test_redraws_and_escapes_are_split_and_dropped() -> None:
    report = parse(FAT_ON_A_TERMINAL)
    assert (report.filesystem, report.used_bytes, report.succeeded) == ("FAT32", 1236 * 512, "cloned")
    assert "current block:       1236, total block:      69632, Complete: 100.00%" in lines(FAT_ON_A_TERMINAL)
    assert not any("\x1b" in line or "\r" in line for line in lines(FAT_ON_A_TERMINAL))


def test_the_engine_is_a_lister() -> None:
    """The DiskStrategy protocol is checked by mypy (tests/test_targets.py)."""
    assert isinstance(PartcloneImage(), Lister)
