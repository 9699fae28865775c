"""Helpers for the bad-sector tests: the files on the test disk, and what a served disk leaves on the system."""

from __future__ import annotations

import os
from pathlib import Path

import blake3

from workbench.disk.mounting import mounted

#: path -> size: users' files (some in one piece of 4 KiB or more, some smaller), and a system file.
FILES = {
    "home/alice/docs/report.txt": 3_000,
    "home/alice/docs/thesis.odt": 120_000,
    "home/alice/photos/beach.jpg": 250_000,
    "home/bob/notes.txt": 1_200,
    "home/bob/music/song.flac": 200_000,
    "etc/hostname": 9,
    **{f"home/carol/mail/{index:03d}.eml": 6_000 + 700 * index for index in range(24)},
}


def content(name: str, size: int) -> bytes:
    return blake3.blake3(name.encode()).digest(length=size)


def write_files(image: Path, files: dict[str, int] = FILES) -> None:
    with mounted(image) as root:
        for name, size in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(content(name, size))


def process_gone(pid: int) -> bool:
    """No such process, or only a zombie waiting to be reaped (it holds nothing any more)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def read_errno(path: Path, offset: int = 0, length: int | None = None) -> int | None:
    """The errno of reading ``length`` bytes at ``offset`` (the whole file if None); None if it read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        return exc.errno
    try:
        if length is None:
            while os.read(fd, 1 << 20):
                pass
        else:
            os.pread(fd, length, offset)
    except OSError as exc:
        return exc.errno
    finally:
        os.close(fd)
    return None
