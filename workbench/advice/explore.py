"""What the strategy explorer (notebook 05) runs: a small comparison for the threats a person fears.

``scaled_profile`` writes a copy of a profile whose daily churn is multiplied by a
factor (the explorer's "daily change rate"), into the workspace. ``run_comparison``
runs the strategy x scenario matrix through the experiment engine, exactly as
``workbench compare`` does, and returns the results folder. ``results_folder``
picks what a notebook reads: the folder it was given, else the shipped example,
else a fresh small run. The explorer keeps reading and measuring apart, so it opens
without root and never starts a matrix by itself: ``explorer_results`` is what it reads
(the folder it was given, else the shipped example, with a note that says so), and
``measure_workload`` (as root, when the person presses its button) measures the
explorer's strategies for a workload and the threats they fear.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import workspace
from ..errors import UsageError
from ..experiment.matrix import plan_cells, run_matrix, run_record
from ..progress import bar
from ..results.store import RunRecord
from ..units import parse_size
from ..workload.profile import load_profile

EXAMPLE_RESULTS = Path(__file__).resolve().parents[2] / "examples" / "classroom"  # a checkout's
#: Every strategy the explorer weighs; `none` is the baseline that measures what a threat destroys.
EXPLORER_STRATEGIES = ("none", "image", "backup", "clone", "mirror-sync")
SMALL_SCENARIOS = ("deletion", "ransomware")


def scaled_profile(name: str, change_factor: float) -> str:
    """The profile itself when the factor is 1, else a copy with every churn rate and count scaled."""
    if change_factor <= 0:
        raise UsageError(f"the daily change factor must be above 0, not {change_factor}")
    if change_factor == 1:
        return name
    source = load_profile(name).source
    doc = yaml.safe_load(source.read_text())
    for op in doc.get("churn", {}).get("ops", []):
        if "rate" in op:
            op["rate"] = round(min(1.0, float(op["rate"]) * change_factor), 4)
        if "count" in op:
            op["count"] = max(1, round(int(op["count"]) * change_factor))
    folder = workspace.home() / "explorer"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{source.stem}-churn-x{change_factor:g}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    load_profile(path)  # refuse a copy that does not validate, here rather than mid-run
    return str(path)


def run_comparison(out: str | Path, *, strategies: Sequence[str] = EXPLORER_STRATEGIES,
                   scenarios: Sequence[str] = SMALL_SCENARIOS, profile: str = "classroom",
                   data_size: int | None = None, seed: int = 1, quiet: bool | None = None) -> Path:
    """Run the matrix (needs root: it makes loop disks) and return the results folder.

    A folder that already holds a finished run of the same matrix is returned as it is,
    so the explorer measures a workload once, however often the advice is asked again.
    """
    from ..proc import require_root

    folder = workspace.resolve(out)
    record = run_record(profile=profile, data_size=data_size, seed=seed, repeat=1, strategies=strategies,
                        scenarios=scenarios)
    if _finished_same(folder, record):
        return folder
    require_root("running experiments for the notebook")
    cells = plan_cells(list(strategies), list(scenarios), profile=profile, data_size=data_size, seed=seed, repeat=1)
    progress = bar(len(cells), "cells", unit="cell", quiet=quiet)
    with progress:
        run_matrix(cells, folder, record, lambda done, total, row: progress.update(1))
    return folder


def _finished_same(folder: Path, record: RunRecord) -> bool:
    try:
        saved = json.loads((folder / "run.json").read_text())
    except (OSError, ValueError):
        return False
    same = ("profile", "data_size_bytes", "seed", "strategies", "scenarios")
    return bool(saved.get("finished")) and all(saved.get(key) == getattr(record, key) for key in same)


def results_folder(given: str | Path | None, *, out: str = "notebook-results", **run_options: Any) -> Path:
    """The folder given; else the shipped example run; else a small comparison run now (needs root)."""
    if given is not None:
        return Path(given)
    if (EXAMPLE_RESULTS / "results.csv").exists():
        return EXAMPLE_RESULTS
    return run_comparison(out, **run_options)


@dataclass(frozen=True)
class ExplorerResults:
    folder: Path
    note: str  # why these are not results measured for what was asked ("" when they are)


def can_measure() -> bool:
    """Measuring makes loop disks, which takes root."""
    return os.geteuid() == 0


def explorer_results(given: str | Path | None) -> ExplorerResults:
    """The folder given, else the shipped example with a note that says so; never a new run.

    Without either, a one-line usage error says what to pass.
    """
    if given is not None:
        return ExplorerResults(Path(given), "")
    if not (EXAMPLE_RESULTS / "results.csv").exists():
        raise UsageError("no results to explore: give a results folder ('workbench compare --out DIR' writes one)")
    record = json.loads((EXAMPLE_RESULTS / "run.json").read_text())
    note = (f"Showing the shipped example results (profile '{record.get('profile')}', "
            f"{len(record.get('scenarios', []))} scenarios); give a results folder, or measure your own "
            f"workload below (as root).")  # fmt: skip
    return ExplorerResults(EXAMPLE_RESULTS, note)


def measure_workload(*, profile: str, data_size: str, change_factor: float, threats: Sequence[str]) -> Path:
    """The explorer's strategies measured on ``threats`` for this workload (needs root); the results folder.

    A workload measured before is read again, not measured twice (``run_comparison``).
    """
    if not threats:
        raise UsageError("choose at least one threat to measure")
    churned = scaled_profile(profile, change_factor)
    label = f"explorer-{Path(churned).stem}-{data_size}-{'-'.join(sorted(threats))}"
    return run_comparison(label, strategies=EXPLORER_STRATEGIES, scenarios=threats, profile=churned,
                          data_size=parse_size(data_size))
