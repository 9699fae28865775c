"""``workbench report``: render a results folder's report again, from its tables alone (HTML, Markdown or PDF).

The findings come from the table; the recommendation for stated needs and the claims'
verdicts come from ``workbench.advice`` and are handed to the report, which only reads
tables. PDF is the HTML page printed by headless Chromium (Debian's ``chromium``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .. import proc
from ..errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from ..advice import Needs
    from ..report.findings import Pick

FORMATS = ("html", "md", "pdf")
#: Chromium printing a page offline: no network, no profile left behind, no header or footer lines.
CHROMIUM_PDF = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
                "--virtual-time-budget=5000"]


def report(results_dir: str | Path, *, out: str | Path | None = None, fmt: str = "html",
           needs: str | Path | None = None, templates: str | Path | None = None) -> Path:
    """Write the report of a folder written by ``compare`` (no disk is touched, no root needed); its path.

    ``out``: where (default: ``report.<fmt>`` in the folder); ``needs``: a needs file, for a
    recommendation; ``templates``: a folder of templates replacing the shipped ones.
    """
    from ..report.write import NAMES, write_report  # pandas and matplotlib load only when a report is made

    if fmt not in FORMATS:
        raise UsageError(f"unknown report format '{fmt}': choose from {', '.join(FORMATS)}")
    folder = Path(results_dir).expanduser()
    if not folder.is_dir():
        raise UsageError(f"'{results_dir}' is not a folder: give the --out folder of 'workbench compare'")
    folder = folder.resolve()
    target = Path(out).expanduser().resolve() if out is not None else folder / (
        "report.pdf" if fmt == "pdf" else NAMES[fmt])
    pick, claims = advice_for(folder, needs)
    chosen = Path(templates).expanduser() if templates is not None else None
    if fmt != "pdf":
        return write_report(folder, out=target, fmt=fmt, pick=pick, claims=claims, templates=chosen)
    chromium = proc.require_tool("chromium")
    with tempfile.TemporaryDirectory(prefix="workbench-report-") as scratch:
        page = write_report(folder, out=Path(scratch) / "report.html", pick=pick, claims=claims, templates=chosen)
        target.parent.mkdir(parents=True, exist_ok=True)
        proc.run([chromium, *CHROMIUM_PDF, f"--user-data-dir={Path(scratch) / 'profile'}",
                  f"--print-to-pdf={target}", page.as_uri()], timeout=300, what="printing the report as PDF")
    if not target.is_file():
        raise UsageError(f"chromium printed no PDF to '{target}'")  # pragma: no cover (chromium said nothing)
    return target


def advice_for(folder: Path, needs: str | Path | None) -> tuple[Pick | None, pd.DataFrame]:
    """The recommendation for the needs in a file (None without one) and the verdicts of the claims these
    results test (those they cannot test are left out)."""
    from ..advice import judge_claims, load_claims
    from ..advice.claims import NO_DATA, UNTESTABLE
    from ..advice.needs_file import load_needs
    from ..results.store import load_results

    frame, _record = load_results(folder)
    if frame.empty:  # nothing to advise on; the report says so in one line
        return None, frame.iloc[0:0, 0:0]
    verdicts = judge_claims(frame, load_claims())
    claims = verdicts[~verdicts["verdict"].isin([NO_DATA, UNTESTABLE])].reset_index(drop=True)
    return (pick_for(frame, load_needs(needs)) if needs is not None else None), claims


def pick_for(frame: pd.DataFrame, needs: Needs) -> Pick:
    """``advice.recommend``'s answer in the report's terms."""
    from ..advice import recommend
    from ..advice.needs_file import in_words
    from ..report.findings import Pick

    answer = recommend(frame, needs)
    members = answer.choice.members if answer.choice else ()
    cells = tuple(dict.fromkeys((str(s), str(t)) for s, t in zip(answer.evidence.get("strategy", []),
                                                    answer.evidence.get("scenario", [])) if str(s) in members))
    return Pick(answer.choice.name if answer.choice else "", answer.meets_all_needs, in_words(needs),
                tuple(answer.reasons + answer.notes), cells)
