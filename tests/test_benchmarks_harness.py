"""The benchmarks' harness measures the command it runs, not the benchmark around it (no timing asserted)."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from workbench.errors import OperationFailed

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("time", path="/usr/bin") is None, reason="GNU time is not installed")


def _harness() -> ModuleType:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        return importlib.import_module("harness")
    finally:
        sys.path.remove(str(REPO / "benchmarks"))


def test_the_peak_memory_is_the_commands_own() -> None:
    harness = _harness()
    ballast = bytearray(300 << 20)  # the benchmark's own pages must not count as the child's
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = harness.run_measured(["true"])
    big = harness.run_measured([sys.executable, "-c", "b = bytearray(200 << 20); b[::4096] = b'y' * len(b[::4096])"])
    assert small.peak_rss_bytes < 100 << 20
    assert big.peak_rss_bytes >= 200 << 20
    assert big.cpu_s > 0 and 0 <= big.others_cpus


def test_a_failing_command_raises_with_its_last_message() -> None:
    harness = _harness()
    with pytest.raises(OperationFailed, match="exited 3: the last line"):
        harness.run_measured(harness.shell("echo first >&2; echo the last line >&2; exit 3"))


def test_a_ratio_of_a_limit_is_ours_over_it() -> None:
    harness = _harness()
    sides = {"ours": harness.Side("ours", "ours", "d"), "ref": harness.Side("ref", "reference", "d"),
             "cat": harness.Side("cat", "limit", "d")}
    rows = [{"op": "x", "side": "ours", "wall_s": 2.0}, {"op": "x", "side": "ref", "wall_s": 3.0},
            {"op": "x", "side": "cat", "wall_s": 0.5}]
    assert {r["side"]: r["value"] for r in harness.ratios(rows, sides)} == {"ref": 1.5, "cat": 4.0}


def test_a_sample_counts_the_memory_handed_back_to_the_host_meanwhile(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    harness = _harness()
    counter = tmp_path / "reported_kib"
    counter.write_text("1024\n")
    monkeypatch.setattr(harness, "REPORTED_KIB", counter)
    sample = harness.run_measured(harness.shell(f"echo 3072 > {counter}"))  # the kernel reports 2 MiB meanwhile
    assert sample.returned_mib == 2.0
    monkeypatch.setattr(harness, "REPORTED_KIB", tmp_path / "absent")  # a kernel without page reporting
    assert harness.run_measured(["true"]).returned_mib == 0.0
