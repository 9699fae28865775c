"""The "which tool" view: for each family measured with more than one engine, the engines side by side
(pure: a results table in, a table out).

A family's engines run on the same schedule and keep the same retention (the strategy table
says so), so their protect time, RTO, footprint and outcomes compare directly. Per engine and
fault: the share of bytes that came back intact, whether it came back clean and whether the
engine's own verify noticed damage in its target (``damage_detected``).
"""

from __future__ import annotations

import pandas as pd

from . import tables
from .style import base_strategy, strategy_order

COLUMNS = ["family", "strategy", "engine", "label", "scenario", "protect_s", "rto_s", "footprint_bytes",
           "intact_fraction", "came_back_clean", "damage_detected", "repetitions", "failed"]


def compared_families(frame: pd.DataFrame) -> list[str]:
    """The families whose rows hold more than one engine (the view is empty without one)."""
    if "family" not in frame or "engine" not in frame:
        return []
    engines = frame.dropna(subset=["family"]).groupby("family")["engine"].nunique()
    return sorted(str(f) for f in engines[engines > 1].index)


def which_tool(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per engine x scenario of every compared family, ours first within a strategy."""
    families = compared_families(frame)
    if not families:
        return pd.DataFrame(columns=COLUMNS)
    derived = tables.with_derived(frame[frame["family"].isin(families)])
    labels = strategy_order(derived["label"])
    bases = list(dict.fromkeys(base_strategy(label) for label in labels))
    labels.sort(key=lambda label: (bases.index(base_strategy(label)), "/" in label))  # ours first
    rows = []
    for label in labels:
        mine = derived[derived["label"] == label]
        first = mine.iloc[0]
        for scenario, cell in mine.groupby("scenario", sort=False):
            ok = cell[cell["ok"]]

            def median(column: str, ok: pd.DataFrame = ok) -> float:
                return float(pd.to_numeric(ok[column], errors="coerce").median())

            rows.append({"family": first["family"], "strategy": first["strategy"], "engine": first["engine"],
                         "label": label, "scenario": scenario, "protect_s": median("protect_s_median"),
                         "rto_s": median("rto_s"), "footprint_bytes": median("footprint_bytes"),
                         "intact_fraction": median("intact_fraction"),
                         "came_back_clean": tables.as_flag(ok["came_back_clean"]).mean(),
                         "damage_detected": tables.as_flag(ok["damage_detected"]).mean(),
                         "repetitions": len(cell), "failed": int((~cell["ok"]).sum())})
    return pd.DataFrame(rows, columns=COLUMNS)


def rows_of_family(frame: pd.DataFrame) -> pd.DataFrame:
    """The result rows of the compared families (for the figures: the intact heatmap of these engines)."""
    return frame[frame["family"].isin(compared_families(frame))] if "family" in frame else frame.iloc[0:0]
