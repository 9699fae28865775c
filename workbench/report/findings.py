"""What a comparison found, in sentences: pure functions of a results table.

The report opens with these. Each finding names the cells behind it, so the
page links every sentence to its rows. The rules, stated once:

- **Brought the most back.** In a scenario, a strategy brought the most back
  when every repetition finished, came back clean (no ciphertext or rot among
  the restored files) and its bytes intact (median over repetitions) are within
  ``TOLERANCE`` of the best share any strategy reached there. ``none`` is the
  baseline and never a contender.
- **Brought the damage back.** A cell that finished and did not come back clean.
- **Fastest.** Among the cells that brought the most back, the strategy with
  the lowest median RTO over them.
- **Space.** A strategy's space is the larger of its footprint and the capacity
  it reserves (median over its cells); its ratio divides by the data in scope
  (``protected_bytes``; in tables older than schema 4, the sizes ``ls`` showed).

Recommending for stated needs and judging claims is ``workbench.advice``'s;
the command that renders the report hands their answers in as ``Pick`` and a
verdict table, so this layer keeps to reading tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from ..units import format_bytes
from . import tables

#: How far below a scenario's best share of bytes intact still counts as "the most back".
TOLERANCE = 0.001
BASELINE = "none"
Cell = tuple[str, str]  # (strategy label, scenario)


@dataclass(frozen=True)
class Finding:
    """One sentence of what was found, with the cells (label, scenario) it rests on."""

    key: str  # a stable name: 'most-back', 'damage-back', 'fastest', 'space', 'failed', 'claims'
    title: str
    text: str
    cells: tuple[Cell, ...] = ()


@dataclass(frozen=True)
class Pick:
    """A recommendation for stated needs, as ``workbench.advice.recommend`` gave it."""

    option: str  # 'backup' or 'image + backup'; '' when nothing fits
    meets_all_needs: bool
    needs: tuple[str, ...]  # the needs in words: 'RPO at most 24 h', 'threats: ransomware'
    reasons: tuple[str, ...]
    cells: tuple[Cell, ...] = ()


@dataclass
class Findings:
    """Everything the report's first section shows."""

    sentences: list[Finding]
    tradeoffs: pd.DataFrame  # one row per strategy (see ``tradeoffs``)
    pick: Pick | None = None
    claims: pd.DataFrame = field(default_factory=pd.DataFrame)  # id, claim, verdict, evidence (tested ones)


def _names(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _contenders(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[summary["label"] != BASELINE]


def most_back(summary: pd.DataFrame) -> pd.DataFrame:
    """The cells that brought the most back in their scenario (the module's rule): label, scenario, share."""
    cells = _contenders(summary)
    done = cells[(cells["failed"] == 0) & (cells["came_back_clean"] >= 1) & cells["intact_fraction"].notna()]
    if done.empty:
        return done[["label", "scenario", "intact_fraction"]]
    best = done.groupby("scenario")["intact_fraction"].transform("max")
    return done.loc[done["intact_fraction"] >= best - TOLERANCE, ["label", "scenario", "intact_fraction"]]


def _most_back(summary: pd.DataFrame) -> Finding | None:
    best = most_back(summary)
    if best.empty:
        return None
    scenarios = list(dict.fromkeys(summary["scenario"]))
    by_label = {str(label): tuple(map(str, group["scenario"])) for label, group in best.groupby("label", sort=False)}
    groups: dict[tuple[str, ...], list[str]] = {}
    for label in sorted(by_label, key=lambda name: -len(by_label[name])):  # stable: display order within a count
        groups.setdefault(by_label[label], []).append(label)
    parts = []
    for mine, labels in list(groups.items())[:3]:
        missed = [s for s in scenarios if s not in mine]
        where = (("both faults" if len(scenarios) == 2 else f"all {len(scenarios)} faults") if not missed else
                 _names(list(mine)) if len(mine) <= len(missed) else f"every fault but {_names(missed)}")
        low = best.loc[best["label"].isin(labels), "intact_fraction"].min()
        share = "lost nothing" if low >= 1 else f"at least {math.floor(1000 * low) / 10:.1f}% of the bytes intact"
        parts.append(f"{_names(labels)} under {where} ({share})")
    text = "Came back clean with the most data: " + "; ".join(parts) + "."
    return Finding("most-back", "What came back", text, tuple(zip(best["label"], best["scenario"])))


def _damage_back(summary: pd.DataFrame) -> Finding | None:
    cells = _contenders(summary)
    dirty = cells[(cells["failed"] == 0) & (cells["came_back_clean"] < 1)]
    if dirty.empty:
        return None
    parts = [f"{label} under {_names(list(group['scenario']))}" for label, group in dirty.groupby("label", sort=False)]
    text = ("Brought the damage back (ciphertext or rotten bytes among the restored files): "
            + "; ".join(parts) + ". A copy that follows the source copies its damage too.")
    return Finding("damage-back", "What came back damaged", text, tuple(zip(dirty["label"], dirty["scenario"])))


def _fastest(summary: pd.DataFrame) -> Finding | None:
    best = most_back(summary)
    rto = summary.set_index(["label", "scenario"])["rto_s_median"]
    timed = best.assign(rto_s=[rto.get((label, scenario), math.nan)
                               for label, scenario in zip(best["label"], best["scenario"])]).dropna(subset=["rto_s"])
    if timed.empty:
        return None
    per = timed.groupby("label")["rto_s"].agg(["median", "size"]).sort_values("median", kind="stable")
    first = per.index[0]
    text = (f"Of the recoveries that brought the most back, {first}'s were the fastest: median RTO "
            f"{per.loc[first, 'median']:.2f} s over {int(per.loc[first, 'size'])} fault(s)")
    if len(per) > 1:
        last = per.index[-1]
        text += f"; {last}'s the slowest, {per.loc[last, 'median']:.2f} s"
    text += " (real seconds on this machine)."
    mine = timed[timed["label"].isin([first, per.index[-1]])]
    return Finding("fastest", "How fast", text, tuple(zip(mine["label"], mine["scenario"])))


def space_of(summary: pd.DataFrame) -> pd.DataFrame:
    """Per strategy: space (the larger of footprint and reserved, median over cells), data in scope, ratio."""
    cells = _contenders(summary)
    data = cells["protected_bytes"]
    if "protected_logical_bytes" in cells:  # tables before schema 4 kept only the sizes 'ls' shows
        data = data.fillna(cells["protected_logical_bytes"])
    cells = cells.assign(space_bytes=cells[["footprint_bytes", "reserved_bytes"]].max(axis=1), data_bytes=data)
    per = cells.groupby("label", sort=False).agg(space_bytes=("space_bytes", "median"),
                                                 protected_bytes=("data_bytes", "median"))
    per = per[per["space_bytes"] > 0]
    return per.assign(ratio=per["space_bytes"] / per["protected_bytes"].where(per["protected_bytes"] > 0))


def _space(summary: pd.DataFrame) -> Finding | None:
    per = space_of(summary).sort_values("ratio", kind="stable").dropna(subset=["ratio"])
    if per.empty:
        return None
    least, most = per.index[0], per.index[-1]
    text = (f"{least} kept its copies in the least space: {format_bytes(per.loc[least, 'space_bytes'])}, "
            f"{per.loc[least, 'ratio']:.2f}× the data it covers")
    if most != least:
        text += (f"; {most} tied up the most, {format_bytes(per.loc[most, 'space_bytes'])} "
                 f"({per.loc[most, 'ratio']:.2f}×)")
    mine = summary[summary["label"].isin([least, most])]
    return Finding("space", "What it costs", text + ".", tuple(zip(mine["label"], mine["scenario"])))


def _failed(summary: pd.DataFrame) -> Finding | None:
    failed = summary[summary["failed"] > 0]
    if failed.empty:
        return None
    runs, total = int(summary["failed"].sum()), int(summary["repetitions"].sum())
    names = [f"{label} / {scenario}" for label, scenario in zip(failed["label"], failed["scenario"])]
    text = (f"{runs} of {total} runs failed ({_names(names)}): their rows hold no outcome and are left out of "
            f"every finding.")
    return Finding("failed", "What failed", text, tuple(zip(failed["label"], failed["scenario"])))


def _claims(claims: pd.DataFrame) -> Finding | None:
    if claims.empty:
        return None
    counts = claims["verdict"].value_counts()
    text = ("Of the claims these results test: " + ", ".join(f"{verdict} {n}" for verdict, n in counts.items())
            + " (see the claims below).")
    return Finding("claims", "The claims", text)


def tradeoffs(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per strategy: faults it brought the most back from (of those measured), worst RPO over them,
    median RTO over them, its space and ratio, and the median time of one protect run."""
    best = most_back(summary)
    space = space_of(summary)
    scenarios = summary["scenario"].nunique()
    rows = []
    for label, cells in _contenders(summary).groupby("label", sort=False):
        good = cells[cells["scenario"].isin(best.loc[best["label"] == label, "scenario"])]
        rows.append({"strategy": label, "most_back": len(good), "scenarios": scenarios,
                     "worst_rpo_hours": good["rpo_hours"].max() if len(good) else math.nan,
                     "rto_s": good["rto_s_median"].median() if len(good) else math.nan,
                     "space_bytes": space["space_bytes"].get(label, 0.0),
                     "space_ratio": space["ratio"].get(label, math.nan),
                     "protect_s": cells["protect_s_median_median"].median()})
    return pd.DataFrame(rows, columns=["strategy", "most_back", "scenarios", "worst_rpo_hours", "rto_s",
                                       "space_bytes", "space_ratio", "protect_s"])


def findings(frame: pd.DataFrame, *, pick: Pick | None = None, claims: pd.DataFrame | None = None) -> Findings:
    """The findings of a results table, with the recommendation and claim verdicts handed in (when any)."""
    summary = tables.summary(frame)
    tested = claims if claims is not None else pd.DataFrame()
    sentences = [f for f in (_most_back(summary), _damage_back(summary), _fastest(summary), _space(summary),
                             _failed(summary), _claims(tested)) if f is not None]
    return Findings(sentences, tradeoffs(summary), pick, tested)
