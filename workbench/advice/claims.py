"""Testing written claims against measured results (pure: claims and a table in, verdicts out).

Claims live in ``datasets/claims.yaml`` (the format is described at its top).
``check_claims`` evaluates every check into outcomes, one row each, with the
two numbers compared; ``judge_claims`` turns a claim's outcomes into a verdict
by one rule: all pass -> holds, some -> partly, none -> does not hold, none
evaluable -> cannot test with these results; a claim marked ``untestable`` is
"cannot test here", with the reason. Strategies are named as the results label
them: ``mirror-sync`` is its default variant, ``mirror-sync:checksum`` the other,
and a glob (``mirror-*``) matches both, each as its own outcome.
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


def load_claims(path: str | Path | None = None) -> list[Claim]:
    """Claims from a YAML file (default: the shipped ``datasets/claims.yaml``)."""
    source = Path(path) if path else CLAIMS_PATH
    try:
        doc = yaml.safe_load(source.read_text())
    except OSError as exc:
        raise UsageError(f"cannot read claims file '{source}': {exc.strerror}") from exc
    claims = []
    for entry in (doc or {}).get("claims", []):
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
    columns = ["claim", "check", "says", "strategy", "scenario", "column", "left", "op", "right", "passed", "missing"]
    return pd.DataFrame([{c: getattr(o, c) for c in columns} for o in outcomes], columns=columns)


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
    scenarios = check.get("scenarios")
    if scenarios:
        rows = rows[rows["scenario"].isin(scenarios)]
    if check.get("only_recovered"):  # compare recoveries that brought true data back, not failed ones
        rows = rows[(rows["came_back_clean"] == True) & rows["rpo_hours"].notna()]  # noqa: E712 (elementwise; None is not clean)
    left_spec = check["left"]
    strategies = _matching(left_spec["strategy"], rows)
    says = str(check.get("says", ""))
    if not strategies:
        return [_Outcome(claim_id, index, says, str(left_spec["strategy"]), "", None, check["op"], None, None,
                         missing=f"no rows of '{left_spec['strategy']}'" + _in(scenarios))]
    groups = sorted(rows["scenario"].unique()) if check.get("per_scenario") else [None]
    outcomes = []
    for strategy in strategies:
        for scenario in groups:
            here = rows if scenario is None else rows[rows["scenario"] == scenario]
            left = _side({**left_spec, "strategy": strategy}, here)
            right = _side(check["right"], here)
            factor = float(check.get("factor", 1))
            if left is None or right is None:
                if scenario is None:  # per-scenario gaps are simply not compared
                    lacking = check["right"] if left is not None else left_spec
                    outcomes.append(_Outcome(claim_id, index, says, strategy, "", None, check["op"], None, None,
                                             missing=f"no rows of '{lacking.get('strategy')}'" + _in(scenarios)))
                continue
            passed = _compare(left, check["op"], right, factor)
            shown_right = right if isinstance(right, bool) else float(right) * factor
            outcomes.append(_Outcome(claim_id, index, says, strategy, scenario or "all", left, check["op"],
                                     shown_right, passed, column=left_spec["column"]))
    return outcomes


def _in(scenarios: list[str] | None) -> str:
    return f" in {', '.join(scenarios)}" if scenarios else ""


def _matching(pattern: str, rows: pd.DataFrame) -> list[str]:
    return sorted(s for s in rows["label"].unique() if fnmatch.fnmatchcase(s, pattern))


def _side(spec: Any, rows: pd.DataFrame) -> Any:
    """A number or a bool as given, or a column aggregated over a strategy's rows (None: no rows, or all NaN)."""
    if not isinstance(spec, dict):
        return spec
    picked = rows[rows["label"] == spec["strategy"]]
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
    where = "" if row.scenario == "all" else f" [{row.scenario}]"
    mark = "yes" if row.passed else "no"
    bytes_ = "bytes" in row.column
    return f"{row.strategy}{where}: {row.says}: {mark} ({_fmt(row.left, bytes_)} {row.op} {_fmt(row.right, bytes_)})"


def _fmt(value: Any, as_bytes: bool) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if as_bytes:
        return format_bytes(value)
    return f"{value:.3g}"
