"""Helpers for the fault tests: the files on the test disk, and byte-exact image comparison."""

from __future__ import annotations

from pathlib import Path

import blake3
import numpy as np

from workbench.disk.mounting import drop_caches, mounted

#: path -> size; a few users' documents, photos and music, plus a system file outside home.
FILES = {
    "home/alice/docs/report-1.txt": 3_000,
    "home/alice/docs/report-2.txt": 17_500,
    "home/alice/docs/thesis.odt": 120_000,
    "home/alice/photos/beach.jpg": 250_000,
    "home/alice/photos/cat.jpg": 90_001,
    "home/bob/notes.txt": 1_200,
    "home/bob/music/song.flac": 400_000,
    "etc/hostname": 9,
}


def content(name: str, size: int) -> bytes:
    return blake3.blake3(name.encode()).digest(length=size)


def write_files(image: Path, files: dict[str, int] = FILES) -> None:
    with mounted(image) as root:
        for name, size in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(content(name, size))


def image_bytes(image: Path) -> np.ndarray:
    return np.fromfile(image, dtype=np.uint8)


def changed_offsets(before: np.ndarray, after: np.ndarray) -> list[int]:
    """Every byte offset at which two equally long images differ."""
    assert before.shape == after.shape
    return np.flatnonzero(before != after).tolist()


def read_files(image: Path, names=None) -> dict[str, bytes]:
    drop_caches()
    with mounted(image, readonly=True) as root:
        return {name: (root / name).read_bytes() for name in (names or FILES)}
