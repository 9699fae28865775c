"""Fixtures for the fault tests: a small system disk with users' files in home/."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_helpers import write_files


@pytest.fixture
def home_disk(system_disk: Path) -> Path:
    """The 64 MiB system disk with fault_helpers.FILES written through a mount."""
    write_files(system_disk)
    return system_disk
