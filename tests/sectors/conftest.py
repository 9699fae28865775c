"""Fixtures for the bad-sector tests: a small system disk with users' files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sectorkit import write_files


@pytest.fixture
def files_disk(system_disk: Path) -> Path:
    """The 64 MiB system disk with sectorkit.FILES written through a mount."""
    write_files(system_disk)
    return system_disk
