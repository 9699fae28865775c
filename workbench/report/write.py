"""Writing a report from a results folder: HTML (self-contained) or Markdown, anywhere.

PDF is the HTML printed by a browser; that runs a process, so it is the command's
(``workbench.commands.report``), not this layer's, which only reads tables.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..errors import UsageError
from ..results.store import load_results
from . import html, markdown
from .findings import Pick, findings
from .method import relative_link
from .timeline import read_details

FORMATS = ("html", "md")
NAMES = {"html": html.REPORT_NAME, "md": "report.md"}


def write_report(results_dir: Path, *, out: Path | None = None, fmt: str = "html", pick: Pick | None = None,
                 claims: pd.DataFrame | None = None, templates: Path | None = None) -> Path:
    """Render the report of a results folder (``out``: where; the folder's ``report.<fmt>`` by default).

    ``pick`` and ``claims`` are the recommendation for stated needs and the claim verdicts, as the
    advice layer gave them; without them the findings are the table's alone.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown report format '{fmt}': choose from {', '.join(FORMATS)}, or pdf")
    folder = Path(results_dir)
    frame, record = load_results(folder)
    if frame.empty:
        raise UsageError(f"'{folder}' holds no result rows yet: let 'workbench compare' finish a cell first")
    if templates is not None and not Path(templates).is_dir():
        raise UsageError(f"--templates '{templates}' is not a folder of report templates")
    path = Path(out) if out is not None else folder / NAMES[fmt]
    path.parent.mkdir(parents=True, exist_ok=True)
    details = read_details(folder)
    found = findings(frame, pick=pick, claims=claims)
    if fmt == "html":
        links = [(name, relative_link(folder / name, path)) for name in ("results.csv", "run.json")
                 if (folder / name).exists()]
        text = html.render(frame, record, details=details, found=found, links=links, templates=templates)
    else:
        text = markdown.render(frame, record, path, results_dir=folder, details=details, found=found,
                               templates=templates)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
