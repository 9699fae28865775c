"""environment.yml lists the same packages as pyproject.toml (by their conda-forge names)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
#: PyPI name -> conda-forge name, where they differ.
CONDA_NAMES = {"xxhash": "python-xxhash", "types-pyyaml": "types-pyyaml"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_every_package_of_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in extra}
    environment = yaml.safe_load((REPO / "environment.yml").read_text())["dependencies"]
    listed = {_name(d) for d in environment if isinstance(d, str)}
    listed |= {_name(d) for d in next(d["pip"] for d in environment if isinstance(d, dict)) if not d.startswith("-")}
    expected = {CONDA_NAMES.get(name, name) for name in wanted}
    assert expected == listed - {"python", "pip"}
