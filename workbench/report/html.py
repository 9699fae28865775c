"""``report.html``: one self-contained file (figures embedded as SVG data URIs) that can be emailed.

It reads only the results folder's tables and run record, never a disk. The page
opens with what was found (``findings``), then each scenario's timeline and what
came back, the costs, disk health and every cell's rows, and ends with the method,
its limits and the run record. The page is a Jinja2 template (autoescaped):
``templates`` names a folder whose ``report.html.j2`` replaces the shipped one, to
brand or translate the page without touching code. A small inline script marks
``<body data-images-loaded>`` once every image has decoded, which the browser test
waits for.
"""

from __future__ import annotations

import base64
import io
import math
import re
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure

from .. import __version__
from ..units import format_bytes
from . import plots, tables
from .findings import Findings, findings
from .guide import READING_GUIDE
from .method import limits, method, scenario_summary
from .style import colour_of
from .timeline import details_names, lanes
from .which_tool import rows_of_family, which_tool

REPORT_NAME = "report.html"
TEMPLATE = "report.html.j2"
CHECKS = {"partition_table_ok": "partition table", "boot_ok": "boot code", "esp_ok": "ESP",
          "fs_uuid_ok": "fs UUID", "fsck_clean": "fsck"}

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 1em 2em 4em; color: #1b1b1b; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
nav a { margin-right: 1em; } .muted { color: #666; } figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; display: block; } figcaption { color: #444; max-width: 60em; }
.linked { position: relative; display: inline-block; max-width: 100%; }
.linked a { position: absolute; display: block; } .linked a:hover { outline: 2px solid #D55E00; }
table { border-collapse: collapse; font-size: 0.88em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; white-space: nowrap; padding: 0.25em 0.55em; text-align: right; vertical-align: top; }
th { background: #f3f3f3; } td.text, th.text { text-align: left; white-space: normal; }
tbody tr:nth-child(even) { background: #fafafa; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: -0.1em;
          border: 1px solid #333; }
#summary-table td:nth-child(-n+2), #failed-table td:nth-child(-n+2), td:first-child { white-space: nowrap; }
#failed-table td:last-child, .cell td { overflow-wrap: anywhere; }
.bad { color: #b00020; font-weight: 600; } .good { color: #1a7f37; }
.cell { margin: 1.5em 0; } .cell h3 { margin-bottom: 0.2em; } :target { background: #fff8d6; }
.findings li { margin: 0.4em 0; max-width: 70em; } .scenario { margin: 1.5em 0; }
.guide dt { font-weight: 600; margin-top: 0.6em; } .guide dd { margin-left: 1.2em; max-width: 60em; }
"""

LOADED_SCRIPT = """
(function () {
  function check() {
    var images = document.images, broken = 0;
    for (var i = 0; i < images.length; i++) {
      if (!images[i].complete) return false;
      if (!(images[i].naturalWidth > 0)) broken++;
    }
    document.body.setAttribute(broken ? "data-images-broken" : "data-images-loaded", String(broken || images.length));
    return true;
  }
  if (!check()) window.addEventListener("load", check);
})();
"""


def environment(templates: Path | None = None) -> jinja2.Environment:
    """The report's templates: a user's folder first (``--templates DIR``), then the shipped ones."""
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("workbench.report", "templates")]
    if templates is not None:
        loaders.insert(0, jinja2.FileSystemLoader(str(templates)))
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
                             autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
                             trim_blocks=True, lstrip_blocks=True)
    env.globals["cell_id"] = tables.cell_id
    return env


def render(frame: pd.DataFrame, record: dict[str, Any], *, details: dict[str, dict[str, Any]] | None = None,
           found: Findings | None = None, links: list[tuple[str, str]] | None = None,
           templates: Path | None = None) -> str:
    """The whole page as a string (pure apart from drawing the figures).

    ``details`` are the cells' details by name (``timeline.read_details``), ``found`` the findings
    (with any recommendation and claim verdicts; by default those of the table alone), ``links``
    (name, href) pairs the page links to, such as its ``results.csv``.
    """
    details = details or {}
    found = found if found is not None else findings(frame)
    summary = tables.summary(frame)
    derived = tables.with_derived(frame)
    profile = record.get("profile") or ", ".join(sorted(set(frame["profile"].astype(str))))
    sections = [("guide", "How to read this", f'<dl class="guide">{READING_GUIDE}</dl>'),
                ("failed", "Failed cells", _failures(frame))]
    tools = which_tool(frame)
    if not tools.empty:
        sections.append(("which-tool", "Which tool", _which_tool(tools, frame)))
    sections += [
        ("recovery", "What came back", _heatmap_figure(frame, summary) + _figure(
            plots.rpo_rto_bars(frame), "RPO and RTO per strategy and scenario",
            "RPO is in simulated hours, RTO in real seconds on this machine. \"lost\" means in-scope data is gone "
            "for good: no restore point brought it back, so no number of hours describes the loss. A missing bar "
            "where a cell ran means the value is undefined there (see the cell's rows).")),
        ("cost", "What it costs", _figure(
            plots.time_space(frame), "Protect time, footprint and space amplification",
            "Medians over every scenario and repetition of a strategy; whiskers span min to max. The black mark is "
            "the capacity a strategy ties up (a clone reserves a whole disk).")),
        ("health", "Disk health after recovery", _figure(
            plots.health_heatmap(frame), "Checks on the recovered disk",
            "Each grid is one check; a cell shows the share of repetitions that passed it.")),
        ("summary", "Summary per cell", _summary_table(summary)),
        ("cells", "Rows per cell", _cell_sections(derived, summary, details)),
    ]
    scenarios = [{"name": name, "key": re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
                  "summary": scenario_summary(name),
                  "figure": Markup(_img(plots.timeline(lanes(frame, name, details), name),
                                        f"Timeline of {name}")),
                  "outcomes": Markup(_scenario_outcomes(summary[summary["scenario"] == name]))}
                 for name in dict.fromkeys(derived["scenario"].astype(str))]
    failed = int((~derived["ok"]).sum())
    facts = (f"{summary['label'].nunique()} strategies × {summary['scenario'].nunique()} scenarios, "
             f"{len(frame)} rows ({failed} failed); seed {record.get('seed', '?')}")
    nav = [("findings", "Findings"), ("scenarios", "Per scenario"), *[(k, n) for k, n, _ in sections],
           ("method", "Method and limits")]
    page = environment(templates).get_template(TEMPLATE)
    return page.render(
        title=f"Workbench comparison: {profile}", style=Markup(STYLE), script=Markup(LOADED_SCRIPT), facts=facts,
        links=links or [], nav=nav, found=found, tradeoff_table=Markup(_tradeoff_table(found.tradeoffs)),
        scenarios=scenarios, sections=[{"key": k, "name": n, "html": Markup(h)} for k, n, h in sections],
        method=method(frame, record), limits=limits(frame, record), run_record=Markup(_run_record(record, len(frame))),
        version=__version__, made=datetime.now(UTC).isoformat(timespec="seconds"))


def svg(fig: Figure) -> bytes:
    """The figure as SVG, the same bytes for the same figure (no date, fixed ids)."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "workbench", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def _data_uri(fig: Figure) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg(fig)).decode("ascii")


def _img(fig: Figure, alt: str) -> str:
    width, height = (round(v) for v in fig.get_size_inches() * fig.dpi)
    return f'<img src="{_data_uri(fig)}" alt="{escape(alt)}" width="{width}" height="{height}">'


def _figure(fig: Figure, alt: str, caption: str) -> str:
    return f"<figure>{_img(fig, alt)}<figcaption>{escape(caption)}</figcaption></figure>"


def _heatmap_figure(frame: pd.DataFrame, summary: pd.DataFrame) -> str:
    """The heatmap with a link over each cell that ran, placed in percent so it follows the image's scaling."""
    fig = plots.intact_heatmap(frame)
    width, height = fig.get_size_inches() * fig.dpi
    ran = set(zip(summary["label"], summary["scenario"]))
    links = "".join(
        f'<a href="#{tables.cell_id(label, scenario)}" title="{escape(label)} / {escape(scenario)}" '
        f'aria-label="{escape(label)} / {escape(scenario)}" style="left:{100 * left / width:.3f}%;'
        f'top:{100 * top / height:.3f}%;width:{100 * (right - left) / width:.3f}%;'
        f'height:{100 * (bottom - top) / height:.3f}%"></a>'
        for label, scenario, (left, top, right, bottom) in plots.heatmap_cell_boxes(fig) if (label, scenario) in ran)
    caption = ("The share of the disk's bytes (as they were just before the fault) that came back intact, median "
               "over repetitions. Click a cell for its rows.")
    image = _img(fig, "Bytes recovered intact, strategy by scenario")
    return (f"<figure><div class='linked' id='intact-heatmap'>{image}{links}</div>"
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _number(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _rpo(hours: float) -> str:
    text = tables.rpo_text(hours)
    return f'<span class="bad">{text}</span>' if text == tables.LOST else text


def _share(value: float) -> str:
    """A pass share as text: 'yes', 'no' or '2/3 of repetitions'-style percent."""
    if value is None or math.isnan(value):
        return "–"
    if value == 1:
        return '<span class="good">yes</span>'
    if value == 0:
        return '<span class="bad">no</span>'
    return f"{100 * value:.0f}%"


def _strategy(label: str) -> str:
    return f'<span class="swatch" style="background:{colour_of(label)}"></span>{escape(label)}'


def _summary_table(summary: pd.DataFrame) -> str:
    head = ("<tr><th class='text'>strategy</th><th class='text'>scenario</th><th>runs (failed)</th>"
            "<th>bytes intact (%)</th><th>RPO (h)</th><th>RTO (s)</th><th>protect, all runs (s)</th>"
            "<th>footprint</th><th>reserved</th><th>space amp. (×)</th><th>came back clean</th>"
            "<th class='text'>disk checks failed</th></tr>")
    rows = []
    for row in tables.rows_of(summary):
        cell = row._asdict()
        failed_checks = [name for column, name in CHECKS.items() if not cell[column] >= 1]
        checks = ", ".join(failed_checks) if failed_checks else "none"
        if all(math.isnan(cell[c]) for c in CHECKS):
            checks = "–"
        rows.append(
            f"<tr><td class='text'>{_strategy(row.label)}</td>"
            f"<td class='text'><a href='#{tables.cell_id(row.label, row.scenario)}'>{escape(row.scenario)}</a></td>"
            f"<td>{row.repetitions}" + (f" <span class='bad'>({row.failed})</span>" if row.failed else "") + "</td>"
            f"<td>{_number(100 * row.intact_fraction)}</td><td>{_rpo(row.rpo_hours)}</td>"
            f"<td>{tables.median_range(row.rto_s_median, row.rto_s_min, row.rto_s_max)}</td>"
            f"<td>{tables.median_range(row.protect_s_median, row.protect_s_min, row.protect_s_max)}</td>"
            f"<td>{_bytes(row.footprint_bytes)}</td><td>{_bytes(row.reserved_bytes)}</td>"
            f"<td>{_number(row.space_amplification, 2)}</td><td>{_share(row.came_back_clean)}</td>"
            f"<td class='text'>{escape(checks)}</td></tr>")
    note = ("<p class='muted'>Timings are medians with the min–max range over repetitions when they differ; "
            "outcomes are medians over the repetitions that finished.</p>")
    return note + f"<table id='summary-table'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _bytes(value: float) -> str:
    return "–" if value is None or math.isnan(value) else format_bytes(value)


def _cell_sections(derived: pd.DataFrame, summary: pd.DataFrame, details: dict[str, dict[str, Any]]) -> str:
    hidden = {"label", "ok", "strategy", "scenario"}
    parts = []
    for row in tables.rows_of(summary):
        cell = derived[(derived["label"] == row.label) & (derived["scenario"] == row.scenario)]
        cell = cell.sort_values("repetition")
        columns = [c for c in cell.columns if c not in hidden]
        head = "".join(f"<th>repetition {escape(str(r))}</th>" for r in cell["repetition"])
        body = "".join(
            f"<tr><th class='text'>{escape(column)}</th>"
            + "".join(f"<td>{escape(_value(v, column))}</td>" for v in cell[column]) + "</tr>"
            for column in columns)
        present = [name for r in tables.rows_of(cell)
                   for name in details_names(str(r.strategy), str(r.engine or ""), str(r.variant or ""),
                                             row.scenario, int(r.repetition))[:2] if name in details][:len(cell)]
        files = (f"<p class='muted'>Fault records, protect runs, recovery steps and file verdicts: "
                 f"{escape(', '.join(f'cells/{n}.json' for n in present))} beside the results.</p>"
                 if present else "")
        parts.append(f"<div class='cell' id='{tables.cell_id(row.label, row.scenario)}'>"
                     f"<h3>{_strategy(row.label)} / {escape(row.scenario)}</h3>{files}"
                     f"<table><thead><tr><th class='text'>column</th>{head}</tr></thead><tbody>{body}</tbody>"
                     f"</table><a href='#summary'>back to the summary</a></div>")
    return "\n".join(parts)


def _scenario_outcomes(summary: pd.DataFrame) -> str:
    """What came back in one scenario: a short table, a row per strategy linking to its cell."""
    rows = "".join(
        f"<tr><td class='text'><a href='#{tables.cell_id(r.label, r.scenario)}'>{_strategy(r.label)}</a></td>"
        f"<td>{_number(100 * r.intact_fraction)}</td><td>{_share(r.came_back_clean)}</td>"
        f"<td>{_rpo(r.rpo_hours)}</td><td>{tables.median_range(r.rto_s_median, r.rto_s_min, r.rto_s_max)}</td>"
        f"<td>{r.failed or ''}</td></tr>" for r in tables.rows_of(summary))
    return ("<table class='outcomes'><thead><tr><th class='text'>strategy</th><th>bytes intact (%)</th>"
            "<th>came back clean</th><th>RPO (h)</th><th>RTO (s)</th><th>failed runs</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _tradeoff_table(tradeoffs: pd.DataFrame) -> str:
    rows = "".join(
        f"<tr><td class='text'>{_strategy(r.strategy)}</td><td>{r.most_back} of {r.scenarios}</td>"
        f"<td>{_rpo(r.worst_rpo_hours)}</td><td>{_number(r.rto_s, 2)}</td><td>{_bytes(r.space_bytes)}</td>"
        f"<td>{_number(r.space_ratio, 2)}</td><td>{_number(r.protect_s, 2)}</td></tr>"
        for r in tables.rows_of(tradeoffs))
    return ("<table id='tradeoff-table'><thead><tr><th class='text'>strategy</th><th>faults it brought the most "
            "back from</th><th>worst RPO there (h)</th><th>median RTO there (s)</th><th>space</th>"
            "<th>space (× data)</th><th>one protect run (s)</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _which_tool(tools: pd.DataFrame, frame: pd.DataFrame) -> str:
    """Each compared family's engines side by side, then the intact heatmap of their rows."""
    rows = "".join(
        f"<tr><td class='text'>{escape(str(r.family))}</td><td class='text'>{_strategy(r.label)}</td>"
        f"<td class='text'><a href='#{tables.cell_id(r.label, r.scenario)}'>{escape(r.scenario)}</a></td>"
        f"<td>{_number(r.protect_s, 2)}</td><td>{_number(r.rto_s, 2)}</td><td>{_bytes(r.footprint_bytes)}</td>"
        f"<td>{_number(100 * r.intact_fraction)}</td><td>{_share(r.came_back_clean)}</td>"
        f"<td>{_share(r.damage_detected)}</td></tr>" for r in tables.rows_of(tools))
    note = ("<p class='muted'>For every family measured with more than one engine: ours and the real tools on the "
            "same schedule and retention. Medians over repetitions; damage detected is the engine's own verify "
            "finding damage in its target.</p>")
    figure = _figure(plots.intact_heatmap(rows_of_family(frame)), "Bytes recovered intact, by engine",
                     "The same heatmap as under What came back, for the compared engines only.")
    return (note + "<table id='which-tool-table'><thead><tr><th class='text'>family</th><th class='text'>engine"
            "</th><th class='text'>scenario</th><th>one protect run (s)</th><th>RTO (s)</th><th>footprint</th>"
            "<th>bytes intact (%)</th><th>came back clean</th><th>damage detected</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>" + figure)


def _value(value: Any, column: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column == "rpo_hours":
        return tables.rpo_text(value, digits=6)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _failures(frame: pd.DataFrame) -> str:
    failed = tables.failures(frame)
    if failed.empty:
        return "<p class='good'>Every cell finished.</p>"
    rows = "".join(
        f"<tr><td class='text'>{_strategy(r.label)}</td><td class='text'>"
        f"<a href='#{tables.cell_id(r.label, r.scenario)}'>{escape(r.scenario)}</a></td><td>{r.repetition}</td>"
        f"<td class='text'>{escape(str(r.error))}</td></tr>" for r in tables.rows_of(failed))
    return (f"<p class='bad'>{len(failed)} repetition(s) failed; their rows hold no outcome and are left out of "
            f"every median.</p><table id='failed-table'><thead><tr><th class='text'>strategy</th>"
            f"<th class='text'>scenario</th><th>repetition</th><th class='text'>error</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _run_record(record: dict[str, Any], rows: int) -> str:
    if not record:
        return "<p class='bad'>No run.json beside the results: versions and machine are unknown.</p>"
    size = record.get("data_size_bytes")
    plain = {
        "profile": record.get("profile"), "data size": format_bytes(size) if size else "the profile's default",
        "seed": record.get("seed"), "repetitions": record.get("repeat"),
        "strategies": ", ".join(record.get("strategies", [])), "scenarios": ", ".join(record.get("scenarios", [])),
        "schedules overridden": ", ".join(f"{k}={v}" for k, v in record.get("schedules", {}).items()) or "none",
        "started": record.get("started"), "finished": record.get("finished") or "(not finished)",
        "rows": rows, "results format": record.get("format_version"),
    }
    machine = dict(record.get("machine", {}))
    if "memory_bytes" in machine:
        machine["memory_bytes"] = format_bytes(machine["memory_bytes"])
    return (_pairs("run", plain) + "<h3>Versions</h3>" + _pairs("versions", record.get("versions", {}))
            + "<h3>Machine</h3>" + _pairs("machine", machine))


def _pairs(name: str, items: dict[str, Any]) -> str:
    rows = "".join(f"<tr><th class='text'>{escape(str(k))}</th><td class='text'>{escape(str(v))}</td></tr>"
                   for k, v in items.items())
    return f"<table id='{name}-table'><tbody>{rows}</tbody></table>"
