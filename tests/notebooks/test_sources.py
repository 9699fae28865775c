"""Each notebook's .ipynb is what its Python source says, and the sources read as lessons (no root, no kernel).

``notebooks/NN_name.py`` (jupytext's percent format) is the source; ``make notebooks``
writes ``NN_name.ipynb`` from it, and JupyterLab keeps the pair in step. Here both
halves are read with jupytext and compared cell by cell. A lesson calls the workbench
through ``workbench.lab`` only, and no code cell runs past ``MAX_CELL_LINES``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
MAX_CELL_LINES = 15
#: What a lesson may import: the workbench through its one public module, the display libraries, and
#: typing for the annotations mypy checks the sources with.
ALLOWED_MODULES = {"json", "os", "datetime", "pathlib", "typing", "pandas", "matplotlib", "IPython", "ipywidgets"}


def cells(path: Path) -> list[tuple[str, str, list[str]]]:
    """(cell type, source, tags) of every cell, as jupytext reads the file."""
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in jupytext.read(path).cells]


def code_cells(path: Path) -> list[str]:
    return [source for kind, source, _tags in cells(path) if kind == "code"]


def python_of(cell: str) -> str:
    """A code cell without its IPython magics (``%matplotlib inline``), which are not Python."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.splitlines())


def test_every_notebook_has_its_source_and_the_generator_is_gone():
    notebooks = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    assert len(SOURCES) >= 6
    assert {p.stem for p in SOURCES} == notebooks
    assert not (NOTEBOOKS / "build_notebooks.py").exists()
    assert (NOTEBOOKS / "jupytext.toml").is_file()  # what makes JupyterLab pair them


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_committed_notebook_matches_its_source_without_outputs(source: Path):
    notebook = source.with_suffix(".ipynb")
    assert cells(notebook) == cells(source), f"{notebook.name} differs from {source.name}: run 'make notebooks'"
    book = jupytext.read(notebook)
    assert book.metadata["kernelspec"]["name"] == "python3"  # papermill and JupyterLab pick the kernel from it
    for cell in book.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{notebook.name} was committed with outputs"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_source_is_python_with_parameters_first_and_facts_last(source: Path):
    ast.parse(source.read_text(), filename=str(source))  # magics are comments in the percent format
    tagged = [(kind, tags) for kind, _source, tags in cells(source) if kind == "code"]
    assert "parameters" in tagged[0][1]
    code = code_cells(source)
    assert "facts_path = None" in code[0]
    assert "write_text(json.dumps(facts" in code[-1]  # the facts the execution tests read


def imports(cell: str) -> list[tuple[str, tuple[str, ...]]]:
    """(module, names) of every import in a cell; names are empty for ``import module``."""
    found = []
    for node in ast.walk(ast.parse(python_of(cell))):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", tuple(alias.name for alias in node.names)))
    return found


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_lessons_use_only_the_lab_api_in_short_cells(source: Path):
    uses_lab = False
    for index, cell in enumerate(code_cells(source)):
        lines = len(cell.splitlines())
        assert lines <= MAX_CELL_LINES, f"{source.name}, code cell {index}: {lines} lines"
        for module, names in imports(cell):
            if module.split(".")[0] == "workbench":
                assert (module, names) == ("workbench", ("lab",)), f"{source.name} imports {module} {names}"
                uses_lab = True
            else:
                assert module.split(".")[0] in ALLOWED_MODULES, f"{source.name} imports {module}"
    assert uses_lab


def test_the_checks_catch_what_they_guard_against():
    """The import and length rules, on cells that break them."""
    assert imports("from workbench.truth.judge import compare") == [("workbench.truth.judge", ("compare",))]
    assert imports("%matplotlib inline\nimport pandas as pd") == [("pandas", ())]
    assert imports("import workbench.lab") == [("workbench.lab", ())]  # not the one allowed form
