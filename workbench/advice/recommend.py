"""Recommending a strategy, or a pair of strategies, from measured rows (pure: a table in, advice out).

The rules, stated once so the notebook and the tests can quote them:

- **Recovered.** A strategy recovered a threat (a scenario) when every
  repetition's row is ``ok``, came back clean (``came_back_clean``: no
  ciphertext or rot among the restored files) and lost at most
  ``Needs.max_lost_share`` of what the threat destroys. What the threat
  destroys is the ``bytes_lost`` of the unprotected baseline (strategy
  ``none``) in the same scenario; without a baseline row, the largest
  ``bytes_lost`` any strategy had there stands in for it (and the advice says so).
  The default share, a quarter, leaves room for what even a good restore
  loses (files created after the newest restore point, the price of the RPO)
  and still fails a copy that holds the damage itself (a mirror loses it all).
  The judge scores the whole disk, so a strategy that covers only the homes
  loses the operating system when the whole disk is gone.
- **Answered.** A recovered threat is answered when its RPO (worst
  ``rpo_hours``) and RTO (median ``rto_s``) are within the person's limits.
- **Combinations.** A pair answers a threat when either member answers it; the
  pair's RPO and RTO for that threat are those of the member that does best.
  The pair's space is the sum of its members' space.
- **Space.** A strategy's space is the most capacity it tied up in any feared
  scenario: the larger of ``footprint_bytes`` and ``reserved_bytes`` (a clone
  reserves a whole disk). The ratio divides by the largest ``protected_bytes``
  in those rows (the whole data set).
- **Choice.** Among the options that answer every feared threat within the
  space budget, the one with fewest members, then what the person puts first
  (``Needs.prefer``): least space (the default), then the quickest worst-case
  recovery; or the quickest recovery, then least space; or the newest restore
  point (least RPO), then least space. When none does, the option answering
  the most threats is shown, with what it misses.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import pandas as pd

from ..errors import UsageError
from ..units import format_bytes
from .table import normalise

BASELINE = "none"
OUTCOME_COLUMNS = ["strategy", "scenario", "repetitions", "recovered", "answered", "came_back_clean", "bytes_lost",
                   "damage_bytes", "rpo_hours", "rto_s", "space_bytes", "protected_bytes", "why"]
#: What a person may put first among options that meet every need (``Needs.prefer``), and how it is said.
PRIORITIES = {"space": "the least space", "recovery": "the quickest recovery",
              "restore-point": "the newest restore point"}
EVIDENCE_COLUMNS = ["strategy", "variant", "scenario", "repetition", "status", "came_back_clean", "bytes_lost",
                    "rpo_hours", "rto_s", "footprint_bytes", "reserved_bytes", "protected_bytes",
                    "space_amplification"]


@dataclass(frozen=True)
class Needs:
    """What a person can live with. ``None`` means no limit."""

    threats: tuple[str, ...] = ()  # scenario names they fear; () = every scenario in the results
    max_rpo_hours: float | None = None
    max_rto_s: float | None = None
    max_space_bytes: int | None = None
    max_space_ratio: float | None = None  # space / the data's size
    max_lost_share: float = 0.25  # of what the threat destroys on an unprotected disk (see the module docstring)
    profile: str | None = None  # only rows of this profile, when given
    prefer: str = "space"  # what breaks the tie among options that meet every need: a key of PRIORITIES


@dataclass(frozen=True)
class Option:
    """One strategy or a pair, judged threat by threat."""

    members: tuple[str, ...]
    answered: dict[str, bool]  # threat -> answered
    by_threat: dict[str, str]  # threat -> the member that answers it best ("" if none), or why not
    rpo_hours: float  # worst over answered threats (NaN if none answered)
    rto_s: float  # worst over answered threats
    space_bytes: int
    space_ratio: float
    within_space: bool

    @property
    def name(self) -> str:
        return " + ".join(self.members)

    @property
    def answers_all(self) -> bool:
        return all(self.answered.values())


@dataclass
class Recommendation:
    choice: Option | None
    meets_all_needs: bool
    reasons: list[str]
    options: pd.DataFrame  # every option ranked, best first
    outcomes: pd.DataFrame  # one row per strategy x threat: recovered, answered and why
    evidence: pd.DataFrame  # the measured rows behind the choice
    notes: list[str] = field(default_factory=list)


def strategy_label(strategy: str, variant: str) -> str:
    """'mirror-sync' for the default variant, 'mirror-sync:checksum' otherwise."""
    from ..experiment.registry import VARIANTS

    variants = VARIANTS.get(strategy, ())
    return strategy if not variant or (variants and variant == variants[0]) else f"{strategy}:{variant}"


def feared(needs: Needs, results: pd.DataFrame) -> list[str]:
    """The feared scenarios ('a,b' is read as two); none given: every scenario in the results."""
    given = needs.threats.split(",") if isinstance(needs.threats, str) else needs.threats
    names = [name.strip() for name in given if name.strip()]
    return names or sorted(results["scenario"].unique())


def _labelled(results: pd.DataFrame, needs: Needs) -> pd.DataFrame:
    rows = normalise(results if needs.profile is None else results[results["profile"] == needs.profile])
    variants = rows["variant"] if "variant" in rows else pd.Series("", index=rows.index)
    rows["label"] = [strategy_label(s, v) for s, v in zip(rows["strategy"], variants)]
    return rows


def threat_outcomes(results: pd.DataFrame, needs: Needs) -> tuple[pd.DataFrame, list[str]]:
    """One row per (strategy label, feared scenario): the measured numbers and the verdicts."""
    rows = _labelled(results, needs)
    threats = feared(needs, rows)
    notes = [f"'{t}' was not measured in these results: run 'workbench compare --scenarios {t}'"
             for t in threats if t not in set(rows["scenario"])]
    records = []
    for threat in threats:
        here = rows[rows["scenario"] == threat]
        if here.empty:
            continue
        reference, source = _damage_reference(here)
        if source != BASELINE:
            notes.append(f"{threat}: no '{BASELINE}' row, so the worst strategy's loss "
                         f"({format_bytes(reference)}) stands in for what the threat destroys")
        for label, group in here.groupby("label", sort=True):
            if label == BASELINE:
                continue
            records.append(_outcome(str(label), threat, group, reference, needs))
    return pd.DataFrame(records, columns=OUTCOME_COLUMNS), notes


def _damage_reference(rows: pd.DataFrame) -> tuple[float, str]:
    ok = rows[rows["status"] == "ok"]
    baseline = ok[ok["label"] == BASELINE]
    if not baseline.empty:
        return float(baseline["bytes_lost"].max()), BASELINE
    return float(ok["bytes_lost"].max()) if not ok.empty else 0.0, "worst"


def _outcome(label: str, threat: str, group: pd.DataFrame, reference: float, needs: Needs) -> dict:
    ok = group[group["status"] == "ok"]
    lost = float(ok["bytes_lost"].max()) if not ok.empty else math.nan
    clean = bool((ok["came_back_clean"] == True).all()) if not ok.empty else False  # noqa: E712 (elementwise; None is not clean)
    rpo = float(ok["rpo_hours"].max(skipna=False)) if not ok.empty else math.nan  # NaN: nothing true came back
    rto = float(ok["rto_s"].median()) if not ok.empty else math.nan
    space = int(max(ok["footprint_bytes"].max(), ok["reserved_bytes"].max())) if not ok.empty else 0
    allowed = needs.max_lost_share * reference
    if len(ok) < len(group):
        recovered, why = False, f"the cell failed: {group.loc[group['status'] != 'ok', 'error'].iloc[0]}"
    elif not clean:
        recovered, why = False, "came back with content that never was true (ciphertext or rot)"
    elif lost > allowed:
        recovered, why = False, f"lost {format_bytes(lost)}, more than {needs.max_lost_share:.0%} of " \
                                f"the {format_bytes(reference)} the threat destroys"
    elif math.isnan(rpo):
        recovered, why = False, "no restored file matches any true state"
    else:
        recovered, why = True, f"came back clean, lost {format_bytes(lost)}"
    answered = recovered
    if recovered and needs.max_rpo_hours is not None and rpo > needs.max_rpo_hours:
        answered, why = False, f"{why}, but RPO {rpo:g} h > {needs.max_rpo_hours:g} h"
    if recovered and needs.max_rto_s is not None and rto > needs.max_rto_s:
        answered, why = False, f"{why}, but RTO {rto:.1f} s > {needs.max_rto_s:g} s"
    if answered:
        why = f"{why}, RPO {rpo:g} h, RTO {rto:.1f} s"
    return {"strategy": label, "scenario": threat, "repetitions": len(group), "recovered": recovered,
            "answered": answered, "came_back_clean": clean, "bytes_lost": lost, "damage_bytes": reference,
            "rpo_hours": rpo, "rto_s": rto, "space_bytes": space,
            "protected_bytes": _data_bytes(ok), "why": why}


def _data_bytes(rows: pd.DataFrame) -> int:
    """The most data in a strategy's scope, as stored; a table older than schema 3 has only the logical size."""
    for column in ("protected_bytes", "protected_logical_bytes"):
        if column in rows and rows[column].notna().any():
            return int(rows[column].max())
    return 0


def _option(members: tuple[str, ...], outcomes: pd.DataFrame, threats: list[str], data_bytes: int,
            needs: Needs) -> Option:
    mine = outcomes[outcomes["strategy"].isin(members)]
    answered, by_threat, rpos, rtos = {}, {}, [], []
    for threat in threats:
        here = mine[(mine["scenario"] == threat) & mine["answered"]].sort_values(["rpo_hours", "rto_s"])
        answered[threat] = not here.empty
        if here.empty:
            tried = mine[mine["scenario"] == threat]
            by_threat[threat] = "; ".join(f"{r.strategy}: {r.why}" for r in tried.itertuples()) or "not measured"
        else:
            best = here.iloc[0]
            by_threat[threat] = best["strategy"]
            rpos.append(best["rpo_hours"])
            rtos.append(best["rto_s"])
    space = int(sum(mine[mine["strategy"] == m]["space_bytes"].max() for m in members
                    if (mine["strategy"] == m).any()))
    ratio = space / data_bytes if data_bytes else math.nan
    within = (needs.max_space_bytes is None or space <= needs.max_space_bytes) and \
             (needs.max_space_ratio is None or ratio <= needs.max_space_ratio)
    return Option(members, answered, by_threat, max(rpos) if rpos else math.nan, max(rtos) if rtos else math.nan,
                  space, ratio, within)


def _rank_key(option: Option, prefer: str = "space") -> tuple:
    rto = option.rto_s if not math.isnan(option.rto_s) else math.inf
    rpo = option.rpo_hours if not math.isnan(option.rpo_hours) else math.inf
    then = {"space": (option.space_bytes, rto), "recovery": (rto, option.space_bytes),
            "restore-point": (rpo, option.space_bytes)}[prefer]
    return (not (option.answers_all and option.within_space), -sum(option.answered.values()),
            not option.within_space, len(option.members), *then)


def recommend(results: pd.DataFrame, needs: Needs) -> Recommendation:
    """The strategy or pair that answers the feared threats within the limits, with the rows behind it."""
    if needs.prefer not in PRIORITIES:
        raise UsageError(f"unknown priority '{needs.prefer}': choose {', '.join(PRIORITIES)}")
    outcomes, notes = threat_outcomes(results, needs)
    threats = feared(needs, results)  # an unmeasured one is not answered
    if outcomes.empty:
        return Recommendation(None, False, ["no measured rows for these threats: nothing to recommend"],
                              pd.DataFrame(), outcomes, pd.DataFrame(), notes)
    labels = sorted(outcomes["strategy"].unique())
    data_bytes = _data_bytes(outcomes)
    options = [_option((label,), outcomes, threats, data_bytes, needs) for label in labels]
    options += [_option(pair, outcomes, threats, data_bytes, needs) for pair in itertools.combinations(labels, 2)]
    options.sort(key=lambda option: _rank_key(option, needs.prefer))
    best = options[0]
    meets = best.answers_all and best.within_space
    choice = best if any(best.answered.values()) else None
    table = pd.DataFrame([{"option": o.name, "members": len(o.members), "threats_answered": sum(o.answered.values()),
                           "threats": len(threats), "answers_all": o.answers_all, "within_space": o.within_space,
                           "worst_rpo_hours": o.rpo_hours, "worst_rto_s": o.rto_s, "space_bytes": o.space_bytes,
                           "space_ratio": o.space_ratio} for o in options])
    rows = _labelled(results, needs)
    members = choice.members if choice else ()
    evidence = rows[rows["label"].isin(members) & rows["scenario"].isin(threats)]
    evidence = evidence[[c for c in EVIDENCE_COLUMNS if c in evidence]].reset_index(drop=True)
    return Recommendation(choice, meets, _reasons(choice, meets, options, threats, needs), table, outcomes,
                          evidence, notes)


def _reasons(choice: Option | None, meets: bool, options: list[Option], threats: list[str], needs: Needs) -> list[str]:
    if choice is None:
        return ["no strategy in these results recovered any feared threat within the limits"]
    reasons = [f"{choice.name} {'meets every need' if meets else 'comes closest'}: "
               f"{sum(choice.answered.values())} of {len(threats)} feared threats answered, "
               f"space {format_bytes(choice.space_bytes)} ({choice.space_ratio:.2f}x the data)"]
    for threat in threats:
        reasons.append(f"{threat}: " + (f"{choice.by_threat[threat]} answers it" if choice.answered[threat]
                                        else f"not answered ({choice.by_threat[threat]})"))
    if not choice.within_space:
        reasons.append("it needs more space than the budget allows")
    rivals = sum(1 for o in options if o.answers_all and o.within_space and len(o.members) == len(choice.members))
    if meets and rivals > 1:
        reasons.append(f"of the {rivals} options of {len(choice.members)} member(s) that meet every need, it has "
                       f"{PRIORITIES[needs.prefer]} (what you put first)")
    if len(choice.members) > 1:
        singles = [o for o in options if len(o.members) == 1]
        best_single = min(singles, key=lambda option: _rank_key(option, needs.prefer))
        missed = [t for t, ok in best_single.answered.items() if not ok]
        reasons.append(f"no single strategy is enough: the best one, {best_single.name}, misses "
                       f"{', '.join(missed) or 'the space budget'}; two independent copies of different kinds "
                       f"follow the 3-2-1-1-0 idea")
    return reasons
