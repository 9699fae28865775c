"""``workbench report``: render a results folder's report.html again, from its tables alone."""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError


def report(results_dir: str | Path) -> Path:
    """Write report.html into a folder written by ``compare`` (no disk is touched, no root needed); its path."""
    from ..report.html import write_report  # pandas and matplotlib load only when a report is made

    folder = Path(results_dir).expanduser()
    if not folder.is_dir():
        raise UsageError(f"'{results_dir}' is not a folder: give the --out folder of 'workbench compare'")
    return write_report(folder.resolve())
