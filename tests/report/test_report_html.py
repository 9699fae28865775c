"""report.html: one self-contained file, every figure a well-formed SVG, every link lands, failures named."""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from workbench.cli.main import main
from workbench.report import tables
from workbench.report.which_tool import which_tool
from workbench.report.write import write_report


class Page(HTMLParser):
    """Collects what the tests check: attributes of every tag, ids, images, table rows by table id."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()
        self.rows: dict[str, int] = {}
        self._table: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.append((tag, found))
        if "id" in found:
            self.ids.add(found["id"])
        if tag == "table":
            self._table.append(found.get("id", ""))
        if tag == "tr" and self._table:
            self.rows[self._table[-1]] = self.rows.get(self._table[-1], 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._table:
            self._table.pop()

    def attrs(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag]


SVG_URI = "data:image/svg+xml;base64,"


def _check_self_contained(text: str, page: Page, folder: Path) -> None:
    """Nothing external is loaded; every link is an anchor on the page or a file beside it that exists."""
    without_data = re.sub(r"data:image/svg\+xml;base64,[A-Za-z0-9+/=]+", "", text)
    assert not re.search(r"https?:|//[a-z]|url\(|@import", without_data, re.IGNORECASE)
    assert not page.attrs("link") and all("src" not in a for a in page.attrs("script"))
    for tag, attrs in page.tags:
        if "src" in attrs:
            assert attrs["src"].startswith(SVG_URI), f"<{tag}> loads {attrs['src'][:40]}"
        if "href" in attrs:
            href = attrs["href"]
            if href.startswith("#"):
                assert href[1:] in page.ids, f"link to a missing anchor {href}"
            else:
                assert href in ("results.csv", "run.json") and (folder / href).is_file(), f"<{tag}> links to {href}"


def _check_images(page: Page) -> int:
    """Every image is an SVG that parses, sized as its tag says; the count."""
    images = page.attrs("img")
    for attrs in images:
        data = base64.b64decode(attrs["src"].removeprefix(SVG_URI), validate=True)
        root = ET.fromstring(data)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert float(root.get("width", "0").removesuffix("pt")) > 0
        assert int(attrs["width"]) > 0 and int(attrs["height"]) > 0 and attrs["alt"]
    return len(images)


def test_example_report_is_one_self_contained_file(example_report: Path, example_results: Path):
    assert example_report == example_results / "report.html"
    assert {p.name for p in example_results.iterdir()} == {"results.csv", "run.json", "report.html"}
    text = example_report.read_text(encoding="utf-8")
    page = Page(text)
    _check_self_contained(text, page, example_results)
    frame = pd.read_csv(example_results / "results.csv")
    scenarios = frame["scenario"].nunique()
    engines_compared = int(not which_tool(frame).empty)  # the "which tool" view's heatmap
    assert _check_images(page) == 4 + scenarios + engines_compared  # overviews, a timeline per scenario
    cells = frame.groupby(["strategy", "variant", "engine", "scenario"], dropna=False).ngroups
    assert page.rows["summary-table"] == cells + 1  # header row
    summary = tables.summary(frame)
    for label, scenario in zip(summary["label"], summary["scenario"]):
        assert tables.cell_id(label, scenario) in page.ids
    heatmap_links = [a for a in page.attrs("a") if "left:" in a.get("style", "")]
    assert len(heatmap_links) == cells  # every heatmap cell that ran is a link


def test_example_report_carries_the_run_record_and_the_guide(example_report: Path, example_results: Path):
    text = example_report.read_text(encoding="utf-8")
    record = json.loads((example_results / "run.json").read_text())
    for tool, version in record["versions"].items():
        assert f"<th class='text'>{tool}</th><td class='text'>{version}" in text.replace("&#x27;", "'")
    for term in ("RPO", "RTO", "Space amplification", "Scope", "Came back clean"):
        assert f"<dt>{term}" in text


def test_failed_cells_are_listed_with_their_error_escaped(tiny_results: Path):
    text = write_report(tiny_results).read_text(encoding="utf-8")
    page = Page(text)
    _check_self_contained(text, page, tiny_results)
    assert page.rows["failed-table"] == 2  # header + the one failed repetition
    assert "restore &lt;failed&gt;: disk full" in text and "restore <failed>" not in text
    assert 'data-images-loaded' in text  # the script that the browser test waits for


def test_report_of_only_failed_rows_still_renders(tmp_path: Path, tiny_frame: pd.DataFrame):
    folder = tmp_path / "allfailed"
    folder.mkdir()
    failed = tiny_frame.assign(status="failed", error="boom", bytes_intact=None, rto_s=None, protect_s=None)
    failed.to_csv(folder / "results.csv", index=False)
    text = write_report(folder).read_text(encoding="utf-8")
    assert Page(text).rows["failed-table"] == len(failed) + 1
    assert "No run.json" in text


def test_cli_prints_the_path_and_refuses_a_bad_folder(tiny_results: Path, tmp_path: Path, capsys):
    assert main(["report", str(tiny_results)]) == 0
    assert capsys.readouterr().out.strip() == str(tiny_results / "report.html")
    assert main(["report", str(tmp_path / "absent")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert "workbench compare" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["results.csv"])
def test_empty_results_are_a_usage_error(tmp_path: Path, name: str):
    (tmp_path / name).write_text(",".join(tables.TIMING_COLUMNS) + "\n")
    assert main(["report", str(tmp_path)]) == 2


def test_summary_row_and_cell_rows_hold_the_measured_values(tiny_results: Path):
    text = write_report(tiny_results).read_text(encoding="utf-8")
    summary = text[text.index("id='summary-table'"):]
    row = re.search(r"<tr><td class='text'>[^\n]*?href='#cell-backup--deletion'.*?</tr>", summary)
    assert row, "no summary row links to backup/deletion"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0))
    assert cells[2:6] == ["2", "75.0", "12.0", "5.0 (4.0–6.0)"]  # runs, % intact, RPO, RTO median (range)
    lost = re.search(r"<tr><td class='text'>(?:(?!</tr>).)*?href='#cell-mirror-sync-quick-check--deletion'.*?</tr>",
                     summary)
    assert lost and re.findall(r"<td[^>]*>(.*?)</td>", lost.group(0))[4] == '<span class="bad">lost</span>', \
        "data lost for good reads 'lost' in the summary, never 0"
    mirror = text[text.index("id='cell-mirror-sync-quick-check--deletion'"):]
    assert "<th class='text'>rpo_hours</th><td>lost</td>" in mirror[:mirror.index("</table>")]
    section = text[text.index("id='cell-backup--deletion'"):]
    section = section[:section.index("</table>")]
    assert section.count("<th>repetition") == 2
    assert "<td>4</td><td>6</td>" in section  # rto_s of each repetition
