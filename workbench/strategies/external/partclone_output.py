"""Reading what partclone 0.3 says on stderr: the filesystem's figures, whether it succeeded, what went wrong. Pure.

partclone has no machine-readable output. Its messages are stable lines
(``Device size:   96.5 MB = 94208 Blocks``), between progress lines that
redraw themselves with carriage returns and terminal escapes (off a terminal, with
newlines); a message may be glued to the end of a progress line. The figures
are taken in blocks, which are exact, and turned into bytes with the block size.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_BLOCKS = re.compile(r"^(Device size|Space in use|Free Space):.*=\s*(\d+)\s+Blocks", re.I)
_BLOCK_SIZE = re.compile(r"^Block size:\s*(\d+)\s*Byte", re.I)
_FILESYSTEM = re.compile(r"^File system:\s*(\S+)", re.I)
_TOTAL_TIME = re.compile(r"^Total Time:\s*(\d+):(\d+):(\d+)", re.I)
_SUCCESS = re.compile(r"^Partclone successfully (\w+)", re.I)
_PROBLEM = re.compile(r"error|fail|can't|cannot|not enough|too small", re.I)
_PROGRESS = re.compile(r"^(Elapsed|current block|Total Time):", re.I)
_BAD_SECTORS = re.compile(r"The disk has bad sectors", re.I)
_LOST_SECTOR = re.compile(r"Can't read sector at (\d+)", re.I)
SECTOR = 512


@dataclass
class PartcloneReport:
    """One run's figures and verdict, as partclone printed them."""

    filesystem: str = ""  # as partclone names it: EXTFS, FAT32, ...
    block_size: int = 0
    device_blocks: int = 0
    used_blocks: int = 0
    seconds: int = 0  # partclone's own 'Total Time' of its last phase (whole seconds)
    succeeded: str = ""  # 'cloned', 'restored', 'checked', or '' when it never said so
    problems: list[str] = field(default_factory=list)  # the lines that name an error, in order

    @property
    def device_bytes(self) -> int:
        return self.device_blocks * self.block_size

    @property
    def used_bytes(self) -> int:
        return self.used_blocks * self.block_size

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "device_bytes": self.device_bytes, "used_bytes": self.used_bytes}


def lines(text: str) -> list[str]:
    """The messages one per line: progress redraws split apart, terminal escapes and blank lines dropped."""
    found = []
    for raw in re.split(r"[\r\n]+", _ESCAPE.sub("", text)):
        line = raw.strip()
        if line:
            found.append(line)
    return found


def parse(text: str) -> PartcloneReport:
    report = PartcloneReport()
    for line in lines(text):
        if match := _BLOCKS.match(line):
            count = int(match.group(2))
            kind = match.group(1).lower()
            if kind == "device size":
                report.device_blocks = count
            elif kind == "space in use":
                report.used_blocks = count
        elif match := _BLOCK_SIZE.match(line):
            report.block_size = int(match.group(1))
        elif match := _FILESYSTEM.match(line):
            report.filesystem = match.group(1)
        elif match := _TOTAL_TIME.match(line):
            hours, minutes, seconds = (int(g) for g in match.groups())
            report.seconds = hours * 3600 + minutes * 60 + seconds
        elif match := _SUCCESS.match(line):
            report.succeeded = match.group(1).lower()
        elif problem := _problem(line):
            report.problems.append(problem)
    return report


def first_problem(*texts: str) -> str:
    """The first line naming an error in any of the texts (partclone's, zstd's), or ''."""
    for text in texts:
        for line in lines(text):
            if problem := _problem(line):
                return problem
    return ""


def _problem(line: str) -> str:
    """The message in a line that names an error; a progress line may have one glued to its end
    (``... 0.00byte/min,CRC error, block_id=12194...``), which is cut out of it."""
    match = _PROBLEM.search(line)
    if match is None:
        return ""
    if not _PROGRESS.match(line):
        return line
    start = max(line.rfind(",", 0, match.start()), line.rfind("%", 0, match.start())) + 1
    return line[start:].strip()


def has_bad_sectors(*texts: str) -> bool:
    """Whether partclone stopped on the disk's read errors (its warning then advises ``--rescue``)."""
    return any(_BAD_SECTORS.search(text) for text in texts)


def lost_ranges(text: str) -> list[tuple[int, int]]:
    """(offset, length) in the device of each run of sectors ``--rescue`` could not read (its log's
    ``Can't read sector at N, lost data.``), runs of neighbours joined."""
    runs: list[tuple[int, int]] = []
    for offset in sorted({int(m.group(1)) for m in _LOST_SECTOR.finditer(text)}):
        if runs and runs[-1][0] + runs[-1][1] == offset:
            runs[-1] = (runs[-1][0], runs[-1][1] + SECTOR)
        else:
            runs.append((offset, SECTOR))
    return runs
