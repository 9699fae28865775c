"""Helpers for the image tests: filling, churning and judging small system disks."""

from __future__ import annotations

import os
import random
from pathlib import Path

from workbench.disk.mounting import drop_caches, mounted
from workbench.disk.table import read_table
from workbench.truth.judge import compare
from workbench.truth.manifest import Manifest, take_manifest

MiB = 1 << 20


def fill(disk: Path, *, random_mib: int = 24, seed: int = 1) -> None:
    """About ``random_mib`` MiB of incompressible files plus a few MiB of text, a link and a subfolder."""
    rng = random.Random(seed)
    with mounted(disk) as root:
        docs = root / "home" / "user" / "docs"
        docs.mkdir(parents=True)
        for i in range(random_mib // 4):
            (docs / f"photo{i}.jpg").write_bytes(rng.randbytes(4 * MiB))
        for i in range(8):
            (docs / f"notes{i}.txt").write_text(f"line {i} of the notes\n" * 20000)
        (root / "etc").mkdir()
        (root / "etc" / "hostname").write_text("workbench-pc\n")
        os.symlink("../home/user/docs/notes0.txt", root / "etc" / "motd")
        os.chmod(docs / "notes1.txt", 0o600)


def churn(disk: Path, *, kib: int = 250, seed: int = 2) -> None:
    """About 1 % of the used bytes: overwrite part of one file in place, add a small file."""
    rng = random.Random(seed)
    with mounted(disk) as root:
        docs = root / "home" / "user" / "docs"
        with open(docs / "photo1.jpg", "r+b") as handle:
            handle.seek(MiB + 12345)
            handle.write(rng.randbytes(kib * 1024))
        (docs / f"new-{seed}.txt").write_text(f"written by churn {seed}\n")


def manifest(disk: Path) -> Manifest:
    """The file-level manifest of the disk's root filesystem (mounted read-only)."""
    drop_caches()
    with mounted(disk, readonly=True) as root:
        return take_manifest(root)


def same_files(expected: Manifest, disk: Path) -> bool:
    result = compare(expected, manifest(disk))
    if not result.ok:
        print(result.counts(), [v for v in result.verdicts if v.category != "intact"][:5])
    return result.ok


def same_table(a: Path, b: Path) -> bool:
    return read_table(a).entries() == read_table(b).entries()


def flip(path: Path, offset: int, mask: int = 0x5A) -> None:
    """XOR one byte (a constant write would be a no-op one time in 256)."""
    fd = os.open(path, os.O_RDWR)
    try:
        byte = os.pread(fd, 1, offset)
        os.pwrite(fd, bytes([byte[0] ^ mask]), offset)
    finally:
        os.close(fd)


def wipe_table_and_superblock(disk: Path) -> None:
    """Zero both GPT copies (the boot code stays) and the root filesystem's superblock."""
    root = read_table(disk).by_role("root")
    size = disk.stat().st_size
    fd = os.open(disk, os.O_RDWR)
    try:
        os.pwrite(fd, bytes(512 * 33), 512)
        os.pwrite(fd, bytes(512 * 33), size - 512 * 33)
        os.pwrite(fd, bytes(1024), root.start_bytes + 1024)
    finally:
        os.close(fd)


def allocated(path: Path) -> int:
    return os.stat(path).st_blocks * 512
