"""Helpers for the boot tests: the shared disk's record, digests, copies."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import blake3

from workbench.disk.boot import BootResult
from workbench.disk.oscache import CACHE_ENV
from workbench.sparse import sparse_copy

DISK_SIZE = 1536 << 20
#: Generous: under load a boot to multi-user took up to ~130 s here; a failure comes in seconds.
BOOT_TIMEOUT_S = 420.0
FAIL_TIMEOUT_S = 240.0


def os_cache_dir() -> str:
    """Where 'make os-cache' puts the Debian root, so the tests reuse it."""
    return os.environ.get(CACHE_ENV) or str(Path.home() / ".local" / "share" / "workbench" / "cache" / "os")


@dataclass(frozen=True)
class DebianDisk:
    home: Path  # the session's workspace
    image: Path
    digest: str  # BLAKE3 of the whole image as built


@dataclass(frozen=True)
class GoodBoot:
    result: BootResult
    digest_after: str  # the image's BLAKE3 after the boot (a boot must not change the disk)
    console: str


def image_digest(path: Path) -> str:
    hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
    hasher.update_mmap(path)
    return hasher.hexdigest()


def copy_disk(disk: DebianDisk, name: str) -> Path:
    """A sparse copy of the shared disk, for a test that damages it."""
    target = disk.home / name
    with open(disk.image, "rb") as src, open(target, "wb") as dst:
        sparse_copy(src.fileno(), dst.fileno())
    return target


def remove(*paths: Path) -> None:
    """Free the session workspace of a test's big files (each disk is ~700 MB)."""
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
