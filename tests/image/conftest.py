"""The disk most image tests start from: a 96 MiB system disk with a few MiB of files."""

from __future__ import annotations

from pathlib import Path

import pytest
from image_helpers import MiB, fill

from workbench.disk.create import create_disk


@pytest.fixture
def disk(workspace: Path) -> Path:
    disk = create_disk("pc.img", "system", 96 * MiB)
    fill(disk)
    return disk
