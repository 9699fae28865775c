"""Frozen result rows for the advice tests: every results column (``results/schema.py``), with plain values."""

from __future__ import annotations

import math

import pandas as pd

from workbench.results.schema import COLUMNS, NAMES

#: The values the advice tests lean on; any other column holds its type's plain value.
VALUES = {
    "variant": "", "scope": "folders", "repetition": 1, "seed": 1, "profile": "classroom", "status": "ok", "error": "",
    "protect_s": 3.0, "protect_runs": 3, "protect_s_median": 1.0, "protect_failures": 0, "points_at_fault": 2,
    "footprint_bytes": 10_000_000, "reserved_bytes": 10_000_000, "protected_bytes": 20_000_000,
    "protected_logical_bytes": 24_000_000, "usable_bytes": math.nan, "space_amplification": 0.5,
    "rto_s": 5.0, "recovery_level": "files", "restore_point_time": "",
    "files_restored": 10, "damage_detected": False, "files_intact": 100, "files_missing": 0, "files_corrupted": 0,
    "files_stale": 0, "files_metadata_differs": 0, "files_unexpected": 0, "bytes_intact": 40_000_000,
    "bytes_lost": 0, "bytes_stale": 0, "came_back_clean": True, "rpo_hours": 10.0, "partition_table_ok": True,
    "boot_ok": True, "esp_ok": True, "fsck_clean": True, "fs_uuid_ok": True, "fault_hour": 38, "detect_hour": 57,
}
PLAIN = {"string": "", "int64": 0, "float64": math.nan, "bool": False}
DEFAULTS = {c.name: VALUES.get(c.name, PLAIN[c.dtype]) for c in COLUMNS if c.name not in ("strategy", "scenario")}


def row(strategy: str, scenario: str, **values) -> dict:
    """A row of every schema column in schema order. Values are not type-checked: a frozen table may
    imitate one read back from CSV (True/False as text)."""
    unknown = set(values) - set(NAMES)
    if unknown:
        raise KeyError(f"not results columns: {', '.join(sorted(unknown))}")
    given = {"strategy": strategy, "scenario": scenario, **DEFAULTS, **values}
    return {name: given[name] for name in NAMES}


def table(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))
