"""Testing written claims against measured results (pure: claims and a table in, verdicts out).

Claims live in ``datasets/claims.yaml`` (the format is described at its top).
``check_claims`` evaluates every check into outcomes, one row each, with the
two numbers compared; ``judge_claims`` turns a claim's outcomes into a verdict
by one rule: all pass -> holds, some -> partly, none -> does not hold, none
evaluable -> cannot test with these results; a claim marked ``untestable`` is
"cannot test here", with the reason. Strategies are named as the results label
them: ``mirror-sync`` is its default variant, ``mirror-sync:checksum`` the other,
and a glob (``mirror-*``) matches both, each as its own outcome.

A check may compare scenario by scenario (``per_scenario``) and disk fill by disk
fill (``per_fill``: each ``compare --fill`` share, and the default sizing, is its
own group), leave out rows by a column's value (``exclude``), and take a side
from the lowest or highest fill in the table (``fill: lowest``): a sweep over
fills tells what follows the disk from what follows the data.
"""

from __future__ import annotations

import fnmatch
import math
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import UsageError
from ..units import format_bytes
from ..workload.profile import DATASETS_DIR
from .recommend import strategy_label
from .table import normalise

CLAIMS_PATH = DATASETS_DIR / "claims.yaml"
HOLDS, PARTLY, FAILS = "holds", "partly", "does not hold"
UNTESTABLE, NO_DATA = "cannot test here", "cannot test with these results"
OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}
AGGREGATES = {"median": lambda s: float(s.median()), "max": lambda s: float(s.max()), "min": lambda s: float(s.min()),
              "all": lambda s: bool(s.astype(bool).all()), "any": lambda s: bool(s.astype(bool).any())}


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    checks: tuple[dict[str, Any], ...] = ()
    untestable: str = ""  # why the workbench cannot test it (then there are no checks)


@dataclass
class _Outcome:
    claim: str
    check: int
    says: str
    strategy: str
    scenario: str
    left: Any
    op: str
    right: Any
    passed: bool | None  # None: could not be evaluated (and `missing` says why)
    missing: str = ""
    column: str = ""
    fill: float | None = None  # the group's fill, when the check compares fill by fill (NaN: the default sizing)


def load_claims(path: str | Path | None = None) -> list[Claim]:
    """Claims from a YAML file (default: the shipped ``datasets/claims.yaml``)."""
    source = Path(path) if path else CLAIMS_PATH
    try:
        doc = yaml.safe_load(source.read_text())
    except OSError as exc:
        raise UsageError(f"cannot read claims file '{source}': {exc.strerror}") from exc
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: text that is not UTF-8
        raise UsageError(f"{source}: malformed YAML: {' '.join(str(exc).split())[:200]}; fix the syntax") from None
    entries = (doc or {}).get("claims", []) if isinstance(doc, dict | None) else None
    if not isinstance(entries, list | None) or entries is None and doc is not None and not isinstance(doc, dict):
        raise UsageError(f"{source}: expected a mapping with a list under 'claims'")
    claims = []
    for entry in entries or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("checks") or [], list) or \
                not all(isinstance(check, dict) for check in entry.get("checks") or []):
            raise UsageError(f"{source}: every claim is a mapping of id, text and a list of checks "
                             f"(found {entry!r:.60})")
        if not entry.get("id") or not entry.get("text"):
            raise UsageError(f"{source}: every claim needs an id and a text (found {entry!r:.60})")
        checks = tuple(entry.get("checks") or ())
        if bool(checks) == bool(entry.get("untestable")):
            raise UsageError(f"{source}: claim '{entry['id']}' needs either checks or an untestable reason")
        for check in checks:
            if check.get("op") not in OPERATORS or "left" not in check or "right" not in check:
                raise UsageError(f"{source}: claim '{entry['id']}' has a check without left, right and an op "
                                 f"({', '.join(OPERATORS)})")
        claims.append(Claim(entry["id"], " ".join(str(entry["text"]).split()), checks,
                            " ".join(str(entry.get("untestable", "")).split())))
    return claims


def check_claims(results: pd.DataFrame, claims: list[Claim]) -> pd.DataFrame:
    """One row per evaluated comparison: claim, check, strategy, scenario, left, op, right, passed."""
    table = normalise(results)
    variants = table["variant"] if "variant" in table else [""] * len(table)
    table["label"] = [strategy_label(s, v) for s, v in zip(table["strategy"], variants)]
    ok = table[table["status"] == "ok"] if "status" in table else table
    outcomes: list[_Outcome] = []
    for claim in claims:
        for index, check in enumerate(claim.checks, start=1):
            outcomes += _evaluate(claim.id, index, check, ok)
    columns = ["claim", "check", "says", "strategy", "scenario", "fill", "column", "left", "op", "right", "passed",
               "missing"]
    frame = pd.DataFrame([{c: getattr(o, c) for c in columns} for o in outcomes], columns=columns)
    frame["fill"] = pd.Series([o.fill for o in outcomes], index=frame.index, dtype=object)  # None: not by fill
    return frame


def judge_claims(results: pd.DataFrame, claims: list[Claim]) -> pd.DataFrame:
    """One row per claim: verdict, outcomes passed / evaluated, and the evidence in words."""
    table = check_claims(results, claims)
    rows = []
    for claim in claims:
        mine = table[table["claim"] == claim.id]
        evaluated = mine[mine["passed"].notna()]
        passed = int(evaluated["passed"].astype(bool).sum())
        if claim.untestable:
            verdict, evidence = UNTESTABLE, claim.untestable
        elif evaluated.empty:
            verdict = NO_DATA
            evidence = "; ".join(sorted(set(mine["missing"]))) or "no rows for this claim"
        else:
            verdict = verdict_of(passed, len(evaluated))
            evidence = "; ".join(_describe(row) for row in evaluated.itertuples())
        rows.append({"id": claim.id, "claim": claim.text, "verdict": verdict, "passed": passed,
                     "evaluated": len(evaluated), "evidence": evidence})
    return pd.DataFrame(rows, columns=["id", "claim", "verdict", "passed", "evaluated", "evidence"])


def verdict_of(passed: int, evaluated: int) -> str:
    """The one rule: all -> holds, some -> partly, none -> does not hold."""
    if evaluated == 0:
        return NO_DATA
    return HOLDS if passed == evaluated else PARTLY if passed else FAILS


def _evaluate(claim_id: str, index: int, check: dict, rows: pd.DataFrame) -> list[_Outcome]:
    says = str(check.get("says", ""))
    left_spec = check["left"]
    scenarios = check.get("scenarios")
    if scenarios:  # names or globs (*ransomware*)
        rows = rows[[any(fnmatch.fnmatchcase(str(name), p) for p in scenarios) for name in rows["scenario"]]]
    lacking = [c for c in (check.get("exclude") or {}) if c not in rows]
    if lacking:  # a filter on what these results never measured: nothing can be compared
        return [_Outcome(claim_id, index, says, str(left_spec["strategy"]), "", None, check["op"], None, None,
                         missing=f"these results have no column {', '.join(lacking)}")]
    for column, values in (check.get("exclude") or {}).items():
        rows = rows[~rows[column].isin(list(values))]
    if check.get("only_recovered"):  # compare recoveries that brought true data back, not failed ones
        finite = pd.to_numeric(rows["rpo_hours"], errors="coerce").map(math.isfinite)
        rows = rows[(rows["came_back_clean"] == True) & finite]  # noqa: E712
    strategies = _matching(left_spec["strategy"], rows)
    if not strategies:
        return [_Outcome(claim_id, index, says, str(left_spec["strategy"]), "", None, check["op"], None, None,
                         missing=f"no rows of '{left_spec['strategy']}'" + _in(scenarios))]
    scenario_groups = sorted(rows["scenario"].unique()) if check.get("per_scenario") else [None]
    fill_groups = _fills(rows) if check.get("per_fill") else [None]
    outcomes = []
    for strategy in strategies:
        mine: list[_Outcome] = []
        for scenario in scenario_groups:
            for fill in fill_groups:
                here = rows if scenario is None else rows[rows["scenario"] == scenario]
                here = here if fill is None else _at_fill(here, fill)
                left = _side({**left_spec, "strategy": strategy}, here)
                right = _side(check["right"], here)
                if left is None or right is None:  # a group where a side was not measured is not compared
                    continue
                factor = float(check.get("factor", 1))
                shown_right = right if isinstance(right, bool) else float(right) * factor
                mine.append(_Outcome(claim_id, index, says, strategy, scenario or "all", left, check["op"],
                                     shown_right, _compare(left, check["op"], right, factor),
                                     column=_measure(left_spec), fill=fill))
        if not mine:
            own = {**left_spec, "strategy": strategy}
            unmeasured = own if _side(own, rows) is None else check["right"]
            mine.append(_Outcome(claim_id, index, says, strategy, "", None, check["op"], None, None,
                                 missing=_why_not(unmeasured, rows, scenarios)))
        outcomes += mine
    return outcomes


def _measure(side: dict) -> str:
    """What a side compares, as its column (``usable_bytes/protected_bytes`` when divided)."""
    return f"{side['column']}/{side['per']}" if side.get("per") else str(side["column"])


def _why_not(side: Any, rows: pd.DataFrame, scenarios: list[str] | None) -> str:
    """Why a side has no value to compare, in words."""
    where = _in(scenarios)
    if not isinstance(side, dict) or not (rows["label"] == side["strategy"]).any():
        return f"no rows of '{side.get('strategy') if isinstance(side, dict) else side}'" + where
    if side.get("fill"):
        return f"'{side['strategy']}' was not measured at two fills or more (a sweep: compare --fill)" + where
    return f"'{side['strategy']}' has no {side['column']} in these results" + where


def _fills(rows: pd.DataFrame) -> list[float]:
    """The fills in the rows, the default sizing (NaN) last."""
    values = pd.to_numeric(rows["fill"], errors="coerce") if "fill" in rows else pd.Series(math.nan, rows.index)
    found = sorted({float(v) for v in values.dropna()})
    return found + ([math.nan] if values.isna().any() else [])


def _at_fill(rows: pd.DataFrame, fill: float) -> pd.DataFrame:
    values = pd.to_numeric(rows["fill"], errors="coerce") if "fill" in rows else pd.Series(math.nan, rows.index)
    return rows[values.isna()] if math.isnan(fill) else rows[values == fill]


def _in(scenarios: list[str] | None) -> str:
    return f" in {', '.join(scenarios)}" if scenarios else ""


def _matching(pattern: str, rows: pd.DataFrame) -> list[str]:
    return sorted(s for s in rows["label"].unique() if fnmatch.fnmatchcase(s, pattern))


def _side(spec: Any, rows: pd.DataFrame) -> Any:
    """A number or a bool as given, or a column aggregated over a strategy's rows (None: no rows, or all NaN).

    ``fill: lowest`` / ``highest`` takes the rows of the lowest or highest fill measured
    (None unless the table holds two fills or more, so a side never compares a fill with itself).
    """
    if not isinstance(spec, dict):
        return spec
    picked = rows[rows["label"] == spec["strategy"]]
    if spec.get("fill"):
        if spec["fill"] not in ("lowest", "highest"):
            raise UsageError(f"a claim's side takes 'fill: lowest' or 'fill: highest', not {spec['fill']!r}")
        fills = [f for f in _fills(picked) if not math.isnan(f)]
        if len(fills) < 2:
            return None
        picked = _at_fill(picked, fills[0] if spec["fill"] == "lowest" else fills[-1])
    if picked.empty or spec["column"] not in picked:
        return None
    values = picked[spec["column"]]
    if spec.get("per"):
        values = values / picked[spec["per"]]
    values = values.dropna()
    if values.empty:
        return None
    agg = spec.get("agg", "median")
    if agg not in AGGREGATES:
        raise UsageError(f"unknown aggregate '{agg}' in a claim: use {', '.join(AGGREGATES)}")
    return AGGREGATES[agg](values)


def _compare(left: Any, op: str, right: Any, factor: float) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return bool(OPERATORS[op](bool(left), bool(right)))
    if isinstance(left, float) and math.isnan(left):
        return False
    return bool(OPERATORS[op](float(left), float(right) * factor))


def _describe(row: Any) -> str:
    groups = [] if row.scenario == "all" else [row.scenario]
    if row.fill is not None and not pd.isna(row.fill):
        groups.append(f"fill {row.fill:g}")
    elif row.fill is not None:
        groups.append("default disk")
    where = f" [{', '.join(groups)}]" if groups else ""
    mark = "yes" if row.passed else "no"
    bytes_ = "bytes" in row.column and "/" not in row.column
    return f"{row.strategy}{where}: {row.says}: {mark} ({_fmt(row.left, bytes_)} {row.op} {_fmt(row.right, bytes_)})"


def _fmt(value: Any, as_bytes: bool) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if as_bytes:
        return format_bytes(value)
    return f"{value:.3g}"
