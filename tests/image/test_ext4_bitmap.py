"""The ext4 bitmap reader against dumpe2fs, on filesystems made in plain files (no root)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from workbench.strategies.image.ext4_bitmap import Unsupported, allocated_blocks


def _make_fs(tmp_path: Path, size: str, *options: str) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(12):
        (src / f"file{i}").write_bytes(os.urandom(37_000 * (i + 1)))
    image = tmp_path / "fs.img"
    with open(image, "wb") as handle:
        handle.truncate(int(size))
    subprocess.run(["mkfs.ext4", "-q", "-F", *options, "-d", str(src), str(image)], check=True)
    return image


def _dumpe2fs_used(image: Path, blocks: int) -> set[int]:
    out = subprocess.run(["dumpe2fs", str(image)], capture_output=True, text=True, check=True).stdout
    free: set[int] = set()
    for match in re.finditer(r"^\s+Free blocks: (.*)$", out, re.M):
        for part in filter(None, (p.strip() for p in match.group(1).split(","))):
            first, _, last = part.partition("-")
            free.update(range(int(first), int(last or first) + 1))
    return set(range(blocks)) - free


@pytest.mark.parametrize("size,options", [
    (str(96 << 20), ()),                                   # 1 KiB blocks, flex_bg, BLOCK_UNINIT groups
    (str(600 << 20), ("-O", "64bit")),                     # 4 KiB blocks, 64-bit descriptors
    (str(200 << 20), ("-O", "^flex_bg", "-b", "4096")),    # bitmaps in their own groups
    (str(64 << 20), ("-O", "sparse_super2")),
])
def test_used_blocks_match_dumpe2fs(tmp_path: Path, size: str, options: tuple[str, ...]):
    image = _make_fs(tmp_path, size, *options)
    fd = os.open(image, os.O_RDONLY)
    try:
        sb, runs = allocated_blocks(fd, 0)
    finally:
        os.close(fd)
    ours = {b for first, count in runs for b in range(first, first + count)}
    assert ours == _dumpe2fs_used(image, sb.blocks_count)
    assert len(ours) < sb.blocks_count  # the filesystem is far from full


def test_not_ext4_is_unsupported(tmp_path: Path):
    image = tmp_path / "zeros.img"
    image.write_bytes(bytes(1 << 20))
    fd = os.open(image, os.O_RDONLY)
    try:
        with pytest.raises(Unsupported):
            allocated_blocks(fd, 0)
    finally:
        os.close(fd)


def test_bit_runs_reads_lsb_first_and_stops_at_count():
    from workbench.strategies.image.ext4_bitmap import bit_runs

    # byte 0 = 0b00001110 -> blocks 1-3; byte 1 = 0xFF -> blocks 8-15; byte 2 bit 0 -> block 16
    raw = bytes([0b00001110, 0xFF, 0b00000001, 0xFF])
    assert bit_runs(raw, 24, 100) == [(101, 3), (108, 9)]
    assert bit_runs(raw, 12, 0) == [(1, 3), (8, 4)]
    assert bit_runs(bytes(8), 64, 0) == []
