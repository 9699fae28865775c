"""The ``run`` fixture (one real cell of the matrix per call), shared with tests/experiment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiment"))

from cellkit import CellRunner  # noqa: E402


@pytest.fixture
def run(workspace: Path, tmp_path: Path) -> CellRunner:
    return CellRunner(workspace, tmp_path / "details")
