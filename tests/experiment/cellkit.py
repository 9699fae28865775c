"""Helpers for running real cells of the matrix, small: the classroom profile at 8 MiB of data."""

from __future__ import annotations

import json
from pathlib import Path

from workbench.experiment.runner import Cell, run_cell
from workbench.experiment.scenario import FaultSpec, Scenario, parse_at

DATA_SIZE = 8 << 20


def scenario(name: str, faults: list[tuple[str, str, dict]], detect_at: str, **extra) -> Scenario:
    """A scenario built in the test, like the shipped ones but shorter where that keeps the suite quick."""
    specs = tuple(FaultSpec(kind, parse_at(at, name), options) for kind, at, options in faults)
    return Scenario(name=name, summary="", faults=specs, detect_hour=parse_at(detect_at, name), **extra)


class CellRunner:
    def __init__(self, workspace: Path, details: Path) -> None:
        self.workspace, self.details = workspace, details

    def __call__(self, strategy: str, scene: Scenario, *, schedules: dict[str, str] | None = None,
                 seed: int = 1) -> tuple[dict, dict]:
        cell = Cell(strategy, scene, data_size=DATA_SIZE, seed=seed, schedules=schedules or {})
        row = run_cell(cell, self.workspace / "cells" / cell.label, details_dir=self.details)
        assert row["status"] == "ok", row["error"]
        details = json.loads((self.details / f"{cell.label}.json").read_text())
        return row, details




def missing_paths(details: dict, kind: str = "") -> set[str]:
    """Paths the judge found missing (only of one kind, e.g. "file", when given)."""
    return {v["path"] for v in details["verdicts"]
            if v["category"] == "missing" and v["detail"].startswith(kind)}


def corrupted_paths(details: dict) -> set[str]:
    return {v["path"] for v in details["verdicts"] if v["category"] == "corrupted"}


def fault_files(details: dict, kind: str) -> set[str]:
    return {f for record in details["faults"] if record["kind"] == kind for f in record.get("files", [])}
