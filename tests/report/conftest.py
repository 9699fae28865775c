"""Frozen inputs for the report tests: the shipped classroom example and a tiny hand-made frame."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from workbench.results.schema import SCHEMA_VERSION
from workbench.results.upgrade import FORMAT_VERSION

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "classroom"

BASE_ROW = {
    "strategy": "backup", "variant": "", "family": "backup", "engine": "workbench",
    "scope": "folders", "scenario": "deletion", "repetition": 1, "seed": 1,
    "profile": "classroom", "status": "ok", "error": "", "protect_s": 2.0, "protect_runs": 4,
    "protect_s_median": 0.5, "protect_failures": 0, "points_at_fault": 3, "footprint_bytes": 8 << 20,
    "reserved_bytes": 8 << 20, "protected_bytes": 16 << 20, "space_amplification": 0.5, "rto_s": 4.0,
    "recovery_level": "files", "restore_point_time": "2026-01-02T23:00:00+00:00", "files_restored": 10,
    "damage_detected": False, "files_intact": 90, "files_missing": 10, "files_corrupted": 0, "files_stale": 0,
    "files_metadata_differs": 0, "files_unexpected": 0, "bytes_intact": 750, "bytes_lost": 250, "bytes_stale": 0,
    "came_back_clean": True, "rpo_hours": 12.0, "data_lost_for_good": False, "target_damage_by": "none",
    "conflicts": 0, "versions_lost": None, "partition_table_ok": True, "boot_ok": True, "esp_ok": True,
    "fsck_clean": True, "fs_uuid_ok": True, "fault_hour": 40, "detect_hour": 40,
}


def row(**changes) -> dict:
    return {**BASE_ROW, **changes}


@pytest.fixture
def tiny_frame() -> pd.DataFrame:
    """Two strategies (one in two mirror variants) × two scenarios, two repetitions, one failed repetition."""
    failed = {c: None for c in BASE_ROW if c not in ("strategy", "variant", "scope", "scenario", "repetition",
                                                      "seed", "profile")}
    return pd.DataFrame([
        row(repetition=1, rto_s=4.0),
        row(repetition=2, rto_s=6.0),
        row(scenario="ransomware", bytes_intact=500, bytes_lost=250, bytes_stale=250, rto_s=3.0, rpo_hours=24.0),
        row(scenario="ransomware", repetition=2, **{**failed, "status": "failed",
                                                    "error": "restore <failed>: disk full"}),
        row(strategy="mirror-sync", variant="quick-check", bytes_intact=0, bytes_lost=1000, came_back_clean=False,
            rpo_hours=math.inf, data_lost_for_good=True, target_damage_by="propagation", rto_s=1.0,
            footprint_bytes=20 << 20, reserved_bytes=20 << 20, space_amplification=1.25),
        row(strategy="mirror-sync", variant="checksum", bytes_intact=0, bytes_lost=1000, came_back_clean=False,
            rpo_hours=None, rto_s=2.0, footprint_bytes=20 << 20, reserved_bytes=20 << 20, space_amplification=1.25,
            fsck_clean=False),
        row(strategy="mirror-sync", variant="quick-check", scenario="ransomware", bytes_intact=500,
            bytes_lost=500, came_back_clean=False, rto_s=1.5),
    ])


@pytest.fixture
def tiny_results(tmp_path: Path, tiny_frame: pd.DataFrame) -> Path:
    """The tiny frame written as a results folder (CSV, as compare writes it) with a run record."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    tiny_frame.to_csv(folder / "results.csv", index=False)
    record = {"profile": "classroom", "data_size_bytes": None, "seed": 1, "repeat": 2,
              "strategies": ["backup", "mirror-sync", "mirror-sync:checksum"], "scenarios": ["deletion", "ransomware"],
              "schedules": {}, "started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:10:00+00:00",
              "format_version": FORMAT_VERSION, "schema_version": SCHEMA_VERSION,
              "versions": {"python": "3.11.7", "workbench": "0.1.0"},
              "machine": {"cpus": 2, "memory_bytes": 1 << 30}, "failed_cells": ["backup/ransomware/r2"]}
    (folder / "run.json").write_text(json.dumps(record))
    return folder


@pytest.fixture(scope="session")
def example_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the shipped classroom results (the report is written beside them)."""
    if not (EXAMPLE / "results.csv").exists():
        pytest.fail(f"{EXAMPLE}/results.csv is missing: regenerate it with 'make example-results'")
    folder = tmp_path_factory.mktemp("classroom")
    for name in ("results.csv", "run.json"):
        shutil.copy(EXAMPLE / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def example_report(example_results: Path) -> Path:
    """report.html rendered once from the classroom example, shared by the tests that only read it."""
    from workbench.report.write import write_report

    return write_report(example_results)
