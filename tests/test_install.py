"""The package installs as Python users install it: a wheel, into a fresh venv, outside the checkout.

The wheel is built offline (``--no-build-isolation``, with the dev venv's setuptools) from a
copy of the checkout, so no build files land in it. The fresh venv gets the wheel alone
(``--no-deps``) and reaches the dev venv's libraries through a ``.pth`` line, so nothing is
downloaded; the dev venv's own editable workbench is not on that path (its finder is loaded
by a ``.pth`` file that only the dev venv's site directory runs).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FROZEN = REPO / "tests" / "report" / "frozen"

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed: {done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the workbench wheel; its bin folder."""
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "datasets", source / "datasets")
    shutil.copytree(REPO / "workbench", source / "workbench", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", base / "dist", source, cwd=base)
    wheel = next((base / "dist").glob("workbench-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in ("workbench/datasets/classroom.yaml", "workbench/datasets/scenarios/deletion.yaml",
                    "workbench/datasets/claims.yaml", "workbench/report/templates/report.html.j2"):
        assert shipped in names, f"the wheel lacks {shipped}"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    venv = base / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=base)
    site = Path(_run(venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                     cwd=base).strip())
    (site / "dev-libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet", "--no-deps",
         "--no-index", wheel, cwd=base)
    return venv / "bin"


def test_the_installed_package_is_the_wheels(installed: Path, tmp_path: Path):
    where = _run(installed / "python", "-c", "import workbench; print(workbench.__file__)", cwd=tmp_path).strip()
    assert Path(where).is_relative_to(installed.parent), f"workbench imported from {where}"


def test_the_cli_runs_from_another_directory(installed: Path, tmp_path: Path):
    assert "report" in _run(installed / "workbench", "--help", cwd=tmp_path)
    assert "classroom" in _run(installed / "workbench", "dataset", "list", cwd=tmp_path)
    assert "complete" in _run(installed / "workbench", "completion", "bash", cwd=tmp_path)


def test_the_installed_report_reads_its_templates_and_datasets(installed: Path, tmp_path: Path):
    results = tmp_path / "results"
    shutil.copytree(FROZEN, results)
    page = Path(_run(installed / "workbench", "report", "results", "--out", "handin.html", cwd=tmp_path).strip())
    assert page == tmp_path / "handin.html"
    text = page.read_text(encoding="utf-8")
    assert 'id="findings"' in text and 'id="claims-table"' in text  # the claims shipped in the wheel
    assert "A folder is deleted by mistake" in text  # the scenario's summary, from the wheel's datasets
