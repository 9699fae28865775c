"""docs/benchmarks.md is what the committed benchmark records render, and the ratios read the issue's way."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def _render() -> ModuleType:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        return importlib.import_module("render")
    finally:
        sys.path.remove(str(REPO / "benchmarks"))


def _record(ours_s: float, reference_s: float, limit_s: float) -> dict[str, object]:
    def row(side: str, seconds: float) -> dict[str, object]:
        return {"op": "backup full", "side": side, "wall_s": seconds, "cpu_s": 1.0, "peak_rss_mib": 10.0,
                "others_cpus": 0.5, "runs_s": [seconds]}

    return {"record_version": 1, "benchmark": "backup", "size": "256M", "size_bytes": 1 << 28, "runs": 1,
            "date": "2026-12-02T00:00Z", "ours": "abc1234", "tools": {"restic": "restic 0.14.0"},
            "machine": {"cpus": 2, "cpu_model": "x", "memory": "1 GiB", "kernel": "6", "debian": "12",
                        "python": "3.11", "load_average": [1.0, 1.0, 1.0]},
            "dataset": {"text": "a tree"}, "notes": [],
            "sides": [{"name": "ours", "role": "ours", "does": "d", "tool": None},
                      {"name": "restic", "role": "reference", "does": "d", "tool": "restic"},
                      {"name": "tar | zstd", "role": "limit", "does": "d", "tool": "tar"}],
            "goals": [{"op": "backup full", "reference": "restic", "ratio": 1.5},
                      {"op": "backup full", "reference": "tar | zstd", "ratio": 1.6}],
            "rows": [row("ours", ours_s), row("restic", reference_s), row("tar | zstd", limit_s)]}


def test_the_document_is_what_the_committed_records_render() -> None:
    render = _render()
    records = render.load_records()
    assert records, "no benchmark records are committed"
    assert render.DOC.read_text() == render.render(records), "docs/benchmarks.md is stale: run 'make docs'"


def test_every_goal_script_has_a_committed_record() -> None:
    render = _render()
    assert {r["benchmark"] for r in render.load_records()} == set(render.ORDER)
    assert all((REPO / "benchmarks" / f"{name}.py").exists() for name in render.ORDER)


def test_a_ratio_is_reference_time_over_ours_and_a_limit_ours_over_it() -> None:
    render = _render()
    goals = render.goal_results(_record(2.0, 4.0, 1.0))
    results = {(op, side): (measured, met) for op, side, _goal, measured, met in goals}
    assert results[("backup full", "restic")] == (2.0, True)  # the reference took twice as long: ours faster
    assert results[("backup full", "tar | zstd")] == (2.0, False)  # ours took twice the limit: over 1.6
    slower = {side: met for _op, side, _g, _m, met in render.goal_results(_record(4.0, 4.0, 3.0))}
    assert slower == {"restic": False, "tar | zstd": True}


def test_the_page_names_the_tool_versions_and_the_convention() -> None:
    render = _render()
    record = _record(2.0, 4.0, 1.0)
    text = render.render([record])
    assert "| restic | restic 0.14.0 |" in text
    assert "reference time / ours" in text
    assert "| backup full | restic | 4.00 | 2.00 | ≥ 1.5 | 1.00 | 1.00 |" in text


def test_a_record_of_another_version_is_refused(tmp_path: Path) -> None:
    import json

    import pytest

    render = _render()
    record = _record(2.0, 4.0, 1.0)
    record["record_version"] = 99
    (tmp_path / "backup-256M.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="record version 99"):
        render.load_records(tmp_path)
