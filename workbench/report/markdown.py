"""``report.md``: the report's findings, trade-offs, scenarios and method as Markdown, to paste into a wiki
or an issue. Its figures are SVG files in a folder beside it (``<name>_figures/``), linked relatively."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ..units import format_bytes
from . import plots, tables
from .findings import Findings, findings
from .html import environment, svg
from .method import limits, method, relative_link, scenario_summary
from .timeline import lanes
from .which_tool import which_tool

TEMPLATE = "report.md.j2"


def number(value: Any, digits: int = 1) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def share(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return "yes" if value == 1 else "no" if value == 0 else f"{100 * value:.0f}%"


def size(value: Any) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else format_bytes(value)


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def render(frame: pd.DataFrame, record: dict[str, Any], page: Path, *, results_dir: Path,
           details: dict[str, dict[str, Any]] | None = None, found: Findings | None = None,
           templates: Path | None = None) -> str:
    """The Markdown text of the report written at ``page``; its figures are written beside it."""
    details = details or {}
    found = found if found is not None else findings(frame)
    figures = page.with_name(page.stem + "_figures")
    figures.mkdir(parents=True, exist_ok=True)

    def figure(fig: Any, name: str) -> str:
        path = figures / f"{name}.svg"
        path.write_bytes(svg(fig))
        return relative_link(path, page)

    summary = tables.summary(frame)
    scenarios = []
    for name in dict.fromkeys(frame["scenario"].astype(str)):
        key = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        scenarios.append({"name": name, "summary": scenario_summary(name),
                          "figure": figure(plots.timeline(lanes(frame, name, details), name), f"timeline-{key}"),
                          "rows": summary[summary["scenario"] == name]})
    env = environment(templates)
    env.globals.update(number=number, share=share, size=size, cell=cell, rpo=tables.rpo_text)
    profile = record.get("profile") or ", ".join(sorted(set(frame["profile"].astype(str))))
    return env.get_template(TEMPLATE).render(
        title=f"Workbench comparison: {profile}", found=found, scenarios=scenarios, tools=which_tool(frame),
        facts=f"{summary['label'].nunique()} strategies × {summary['scenario'].nunique()} scenarios, "
              f"{len(frame)} rows",
        results_csv=relative_link(results_dir / "results.csv", page),
        run_json=relative_link(results_dir / "run.json", page),
        cost_figure=figure(plots.time_space(frame), "costs"), method=method(frame, record),
        limits=limits(frame, record))
