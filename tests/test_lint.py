"""The tools check what people would otherwise check by eye: ruff (lint) and mypy (types).

Both are configured in pyproject.toml. mypy keeps its cache inside the venv, so a
second run is quick.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINTED = ["workbench", "tests", "benchmarks", "notebooks"]


def _tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True,
                          check=False)


def test_ruff_finds_nothing() -> None:
    done = _tool("ruff", "check", *LINTED)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.timeout(600)  # a cold mypy run takes about 30 s alone; a loaded machine may take several times that
def test_mypy_finds_nothing() -> None:
    done = _tool("mypy", "workbench")
    assert done.returncode == 0, done.stdout + done.stderr
