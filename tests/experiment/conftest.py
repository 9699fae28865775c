"""The ``run`` fixture: one real cell of the matrix per call."""

from __future__ import annotations

from pathlib import Path

import pytest
from cellkit import CellRunner


@pytest.fixture
def run(workspace: Path, tmp_path: Path) -> CellRunner:
    return CellRunner(workspace, tmp_path / "details")
