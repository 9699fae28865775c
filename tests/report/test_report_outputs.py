"""The report's outputs from the frozen comparison: HTML with the findings first, Markdown, PDF (read back
with pdftotext), a recommendation for stated needs, and templates a user supplies."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from workbench.advice.needs_file import load_needs
from workbench.cli.main import main
from workbench.commands.report import advice_for, pick_for, report
from workbench.report.findings import findings
from workbench.results.store import load_results

FROZEN = Path(__file__).parent / "frozen"

pytestmark = pytest.mark.slow  # each test renders whole reports: a dozen figures


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the frozen folder (a report is written beside it by default)."""
    folder = tmp_path_factory.mktemp("frozen") / "results"
    shutil.copytree(FROZEN, folder)
    return folder


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    """The findings as the report states them: the table's, and the claims' verdicts."""
    frame, _record = load_results(FROZEN)
    _pick, claims = advice_for(FROZEN, None)
    found = [f.text for f in findings(frame, claims=claims).sentences]
    assert len(found) == 5 and found[-1].startswith("Of the claims these results test: holds")
    return found


def _plain(text: str) -> str:
    return " ".join(text.split())


def test_the_html_leads_with_the_findings_and_shows_which_tool(results: Path, sentences: list[str]):
    page = report(results).read_text(encoding="utf-8")
    order = [page.index(f'id="{key}"') for key in ("findings", "scenarios", "which-tool", "recovery", "method")]
    assert order == sorted(order)
    for sentence in sentences:
        assert sentence.replace("'", "&#39;") in page
    assert 'id="claims-table"' in page and "id='tradeoff-table'" in page and "id='which-tool-table'" in page
    assert '<a href="results.csv">' in page and '<a href="run.json">' in page
    assert page.count('alt="Timeline of ') == 3


def test_markdown_holds_the_findings_and_its_figures_resolve(results: Path, sentences: list[str], tmp_path: Path):
    out = tmp_path / "wiki" / "comparison.md"
    assert main(["report", str(results), "--format", "md", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for sentence in sentences:
        assert sentence in text
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert len(links) >= 2 + 3 + 1  # the two tables, a timeline per scenario, the costs
    for link in links:
        assert (out.parent / link).is_file(), f"the Markdown links to a missing {link}"
    assert "| backup/restic | target-corruption |" in text  # the which-tool table


@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("pdftotext")),
                    reason="needs Debian's chromium and poppler-utils ('make test' installs both)")
def test_the_pdf_holds_the_findings(results: Path, sentences: list[str], tmp_path: Path):
    out = report(results, fmt="pdf", out=tmp_path / "handin.pdf")
    assert out.read_bytes().startswith(b"%PDF")
    text = _plain(subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                                 check=True).stdout)
    for sentence in sentences:
        assert _plain(sentence)[:80] in text, f"the PDF lacks: {sentence[:80]}"


def test_stated_needs_give_a_recommendation_instead_of_the_tradeoffs(results: Path, tmp_path: Path):
    needs = tmp_path / "needs.yaml"
    needs.write_text("needs:\n  threats: [ransomware, deletion]\n  max_rpo_hours: 24\n")
    page = report(results, needs=needs, out=tmp_path / "needs.html").read_text(encoding="utf-8")
    assert 'id="recommendation"' in page and "id='tradeoff-table'" not in page
    assert "threats: ransomware, deletion; RPO at most 24 h" in page
    frame, _record = load_results(results)
    pick = pick_for(frame, load_needs(needs))  # advice's answer, as the report states it
    shown = re.search(r"<strong>[^<]+</strong> (meets every need|comes closest)|Nothing in these results meets", page)
    assert shown and (pick.option == "") == shown.group(0).startswith("Nothing")
    for reason in pick.reasons:
        assert html.escape(reason, quote=True).replace("&#x27;", "&#39;") in page
    (tmp_path / "bad.yaml").write_text("needs:\n  max_rpo: 24\n")
    assert main(["report", str(results), "--needs", str(tmp_path / "bad.yaml")]) == 2


def test_a_users_templates_replace_the_shipped_ones(results: Path, tmp_path: Path, sentences: list[str]):
    mine = tmp_path / "brand"
    mine.mkdir()
    (mine / "report.html.j2").write_text("<h1>Acme: {{ title }}</h1>{% for f in found.sentences %}<p>{{ f.text }}"
                                         "</p>{% endfor %}<i>{{ '<b>' }}</i>")
    page = report(results, templates=mine, out=tmp_path / "acme.html").read_text(encoding="utf-8")
    assert page.startswith("<h1>Acme: Workbench comparison: classroom</h1>")
    assert page.count("<p>") == len(sentences)
    assert "<i>&lt;b&gt;</i>" in page  # autoescaped
    assert main(["report", str(results), "--templates", str(tmp_path / "absent")]) == 2


def test_compare_refuses_a_bad_needs_file_before_it_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "needs.yaml"
    bad.write_text("needs:\n  max_rpo: 24\n")
    assert main(["compare", "--out", str(tmp_path / "out"), "--needs", str(bad), "--dry-run"]) == 2
    assert "unknown key(s) max_rpo" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
