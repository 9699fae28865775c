"""The shipped "which tool" set (examples/which-tool, made by `make which-tool`): whole, and shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.report.which_tool import compared_families, which_tool
from workbench.report.write import write_report
from workbench.results.store import load_results
from workbench.strategies.catalog import engines_of

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "which-tool"


@pytest.mark.skipif(not (EXAMPLE / "results.csv").exists(), reason="needs the shipped examples/which-tool")
def test_the_shipped_set_has_every_engine_no_failed_row_and_the_report_shows_the_view(tmp_path: Path) -> None:
    frame, _ = load_results(EXAMPLE)
    assert set(frame["status"]) == {"ok"}, frame.loc[frame["status"] != "ok", ["strategy", "error"]]
    wanted = {name for family in ("backup/*", "mirror-sync/*", "mirror-two-way/*", "image/*")
              for name in engines_of(family)}
    shown = {s if e in ("", "workbench") or str(s).endswith(f"/{e}") else f"{s}/{e}"
             for s, e in zip(frame["strategy"], frame["engine"].fillna(""))}
    assert wanted <= shown
    assert set(frame["scenario"]) == {"deletion", "ransomware", "target-corruption"}
    assert set(compared_families(frame)) == {"backup", "mirror", "image"}
    assert len(which_tool(frame)) >= len(wanted)
    page = write_report(EXAMPLE, out=tmp_path / "report.md", fmt="md").read_text()
    assert "Which tool" in page and "restic" in page and "partclone" in page
