"""Summary tables from a results frame: one row per strategy × scenario cell.

Timings vary between repetitions, so they are summarised as the median with
the min–max range beside it. Outcomes (what came back) follow from the seed,
so they are summarised as the median (numbers) or the share of repetitions
that passed (checks). Failed repetitions are counted, never averaged in.
An unbounded RPO (``inf``: in-scope data lost for good) reads "lost", never 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd

from ..results.schema import COLUMNS, DERIVED, names
from .style import strategy_order

#: Timing columns summarised as median and min–max over repetitions.
TIMING_COLUMNS = names(summary="range")
#: Numeric outcome columns (the derived ones first) summarised as the median over repetitions.
OUTCOME_COLUMNS = names(summary="median", columns=DERIVED + COLUMNS)
#: Pass/fail columns, summarised as the share of repetitions that passed.
CHECK_COLUMNS = names(summary="share")
#: How an unbounded RPO reads in tables and figures.
LOST = "lost"


def rpo_text(hours: float | None, digits: int = 1) -> str:
    """An RPO as the report writes it: its hours, "lost" when unbounded (data lost for good), "–" when undefined."""
    if hours is None or math.isnan(hours):
        return "–"
    return LOST if math.isinf(hours) else f"{hours:.{digits}f}"


def as_flag(values: pd.Series) -> pd.Series:
    """True/False however the table stored them (bool, 'True', 1); anything else (a failed row) is NaN."""
    mapping = {True: 1.0, False: 0.0, "True": 1.0, "False": 0.0, "true": 1.0, "false": 0.0}  # 1 == True, 0 == False
    return values.map(lambda v: mapping.get(v, math.nan)).astype(float)


def strategy_labels(frame: pd.DataFrame) -> pd.Series:
    """The strategy as people name it: 'mirror-sync', or 'mirror-sync:checksum' when variants were compared;
    a real tool's engine after a slash ('backup/restic')."""
    variant = frame.get("variant", pd.Series("", index=frame.index)).fillna("").astype(str)
    engine = frame.get("engine", pd.Series("", index=frame.index)).fillna("").astype(str)
    strategy = frame["strategy"].astype(str)
    strategy = strategy.where(engine.isin(["", "workbench"]), strategy + "/" + engine)
    variants_of = variant.groupby(strategy).nunique()
    several = strategy.map(variants_of).fillna(0) > 1
    return strategy.where(~several | (variant == ""), strategy + ":" + variant)


def with_derived(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with ``label`` (strategy as named), ``ok`` and ``intact_fraction`` (bytes intact / bytes judged)."""
    out = frame.copy()
    out["label"] = strategy_labels(out)
    out["ok"] = out["status"].astype(str) == "ok"
    judged = out[["bytes_intact", "bytes_lost", "bytes_stale"]].apply(pd.to_numeric, errors="coerce").sum(axis=1,
                                                                                                          min_count=3)
    intact = pd.to_numeric(out["bytes_intact"], errors="coerce")
    out["intact_fraction"] = (intact / judged.where(judged > 0)).where(out["ok"])
    return out


def cell_order(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(strategy labels, scenarios) in display order: canonical strategies, scenarios as first run."""
    derived = frame if "label" in frame else with_derived(frame)
    return strategy_order(derived["label"]), list(dict.fromkeys(derived["scenario"].astype(str)))


def cell_id(label: str, scenario: str) -> str:
    """A stable HTML anchor for a cell: 'cell-mirror-sync-checksum--deletion'."""
    return "cell-" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") + "--" + re.sub(
        r"[^a-z0-9]+", "-", scenario.lower()).strip("-")


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per cell: repetitions, failures, timing median/min/max, outcome medians, check pass shares.

    Columns: ``label``, ``scenario``, ``repetitions``, ``failed``, ``<timing>_median|_min|_max``,
    ``<outcome>`` (median over ok repetitions), ``<check>`` (share of ok repetitions that passed).
    """
    derived = with_derived(frame)
    labels, scenarios = cell_order(derived)
    keys = ["label", "scenario"]
    numbers = pd.DataFrame({c: pd.to_numeric(derived[c], errors="coerce") if c in derived else math.nan
                            for c in dict.fromkeys(TIMING_COLUMNS + OUTCOME_COLUMNS)}, index=derived.index)
    flags = pd.DataFrame({c: as_flag(derived[c]) if c in derived else math.nan for c in CHECK_COLUMNS},
                         index=derived.index)
    ok = derived["ok"].to_numpy(dtype=bool)
    counts = derived.groupby(keys, sort=False)["ok"].agg(["size", "sum"])
    by_cell = numbers[ok].join(derived.loc[ok, keys]).groupby(keys, sort=False)
    timing = by_cell[list(TIMING_COLUMNS)].agg(["median", "min", "max"])
    timing.columns = ["_".join(map(str, pair)) for pair in timing.columns.to_flat_index()]
    outcome = by_cell[list(OUTCOME_COLUMNS)].median()
    checks = flags[ok].join(derived.loc[ok, keys]).groupby(keys, sort=False)[list(CHECK_COLUMNS)].mean()
    sizes: dict[Any, dict[Any, Any]] = counts.to_dict(orient="index")  # (label, scenario) -> size, sum
    parts: list[tuple[list[str], dict[Any, dict[Any, Any]]]] = [
        ([str(c) for c in part.columns], part.to_dict(orient="index")) for part in (timing, outcome, checks)]
    rows = []
    for label in labels:
        for scenario in scenarios:
            cell = sizes.get((label, scenario))
            if cell is None:
                continue
            row: dict = {"label": label, "scenario": scenario, "repetitions": int(cell["size"]),
                         "failed": int(cell["size"] - cell["sum"])}
            for columns, values in parts:
                found = values.get((label, scenario), {})
                row.update({c: found.get(c, math.nan) for c in columns})
            rows.append(row)
    return pd.DataFrame(rows)


def pivot(summary_frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Strategy label × scenario grid of one summary column, in display order (NaN where no cell)."""
    labels = strategy_order(summary_frame["label"])
    scenarios = list(dict.fromkeys(summary_frame["scenario"]))
    grid = summary_frame.pivot(index="label", columns="scenario", values=column)
    return grid.reindex(index=labels, columns=scenarios)


def rows_of(frame: pd.DataFrame) -> Iterator[Any]:
    """``frame.itertuples(index=False)``: one namedtuple a row, its fields named as the columns.

    Typed ``Any`` on purpose: the stubs cannot know a frame's columns, so they give every
    field the union of all the scalar types pandas has.
    """
    return iter(frame.itertuples(index=False))


def failures(frame: pd.DataFrame) -> pd.DataFrame:
    """The failed repetitions: label, scenario, repetition and the error they recorded."""
    derived = with_derived(frame)
    failed = derived[~derived["ok"]]
    return failed[["label", "scenario", "repetition", "error"]].fillna({"error": "(no error recorded)"}).reset_index(
        drop=True)


def median_range(median: float, low: float, high: float, digits: int = 1) -> str:
    """'12.3 (11.0–13.1)', or '12.3' when the range is one value, or '–' when there is none."""
    if median is None or (isinstance(median, float) and math.isnan(median)):
        return "–"
    text = f"{median:.{digits}f}"
    if f"{low:.{digits}f}" != f"{high:.{digits}f}":
        text += f" ({low:.{digits}f}–{high:.{digits}f})"
    return text
