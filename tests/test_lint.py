"""The tools check what people would otherwise check by eye: ruff (lint) and mypy (types).

Both are configured in pyproject.toml. mypy checks what its ``files`` setting names: the
package, the notebook sources (their module names start with digits, so they are given as
files) and tests/test_targets.py. It keeps its cache inside the venv, so a second run is quick.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
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
def test_mypy_finds_nothing_in_the_package_and_the_notebooks() -> None:
    done = _tool("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
    named = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mypy"]["files"]
    sources = [file for pattern in named for path in REPO.glob(pattern)
               for file in (path.rglob("*.py") if path.is_dir() else [path])]
    assert set((REPO / "notebooks").glob("[0-9][0-9]_*.py")) <= set(sources)  # not the package alone
    assert f" {len(sources)} source files" in done.stdout  # every one of them checked
