"""The architecture contract: the import-linter contracts in pyproject.toml hold (docs/architecture.md).

Layers import only the layers below them, the report never reaches disks,
engines or the experiment, and sibling modules import each other one way only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    assert exit_code == 0, capsys.readouterr().out
