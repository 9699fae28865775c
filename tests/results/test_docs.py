"""docs/results.md is the schema's rendering, and the committed copy is current."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from workbench.results import docs
from workbench.results.schema import COLUMNS, DERIVED
from workbench.results.store import RunRecord


def test_the_committed_document_is_the_rendering_of_the_schema() -> None:
    assert docs.DOCUMENT.read_text(encoding="utf-8") == docs.render(), "docs/results.md is stale: run 'make docs'"


def test_the_document_names_every_column_with_its_meaning_and_every_record_field() -> None:
    text = docs.render()
    for c in COLUMNS + DERIVED:
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| `{c.name}` |"))
        assert c.meaning in line and c.dtype in line, c.name
    for field in dataclasses.fields(RunRecord):
        assert f"`{field.name}`" in text, f"run.json's {field.name} is not documented"


def test_check_says_whether_a_document_is_current(tmp_path: Path, capsys) -> None:
    out = tmp_path / "results.md"
    assert docs.main(["--check", "--out", str(out)]) == 1
    assert docs.main(["--out", str(out)]) == 0 and out.read_text(encoding="utf-8") == docs.render()
    assert docs.main(["--check", "--out", str(out)]) == 0
    out.write_text(docs.render().replace("| `rto_s` |", "| `rto` |"), encoding="utf-8")
    assert docs.main(["--check", "--out", str(out)]) == 1
    assert "stale" in capsys.readouterr().out
