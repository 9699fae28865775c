"""Shared fixtures: a private workspace per test, small disks, and a leak check for the whole run.

The whole suite runs with the privilege check on (``proc.CHECK_ENV``): a disk tool asked
for by a workbench module outside ``workbench.disk`` fails the test. It is an environment
variable, so the commands the tests start (the CLI, a crashed protect) are checked too.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from workbench.proc import CHECK_ENV

os.environ[CHECK_ENV] = "1"
ROOT = os.geteuid() == 0


#: Each tier's bound on one test (pytest-timeout), unless the test names its own: a hang fails
#: the test instead of eating the suite's 20 minutes. Bounds on hangs, never timings asserted.
TIER_TIMEOUT_S = {"slow": 600, "root": 300, "pure": 60}


def _tier(item: pytest.Item) -> str:
    return next((tier for tier in ("slow", "root") if tier in item.keywords), "pure")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TIER_TIMEOUT_S[_tier(item)]))
    if ROOT:
        return
    skip = pytest.mark.skip(reason="needs root and loop devices (run 'make test' as root)")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, private workspace ($WORKBENCH_HOME) for one test."""
    home = tmp_path / "ws"
    home.mkdir()
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    return home.resolve()


@pytest.fixture
def system_disk(workspace: Path) -> Path:
    """A fresh 64 MiB system disk (GPT, ESP with boot loader, empty ext4 root)."""
    from workbench.disk.create import create_disk

    return create_disk("system.img", "system", 64 << 20)


@pytest.fixture
def data_disk(workspace: Path) -> Path:
    """A fresh 48 MiB data disk (GPT, one ext4 partition)."""
    from workbench.disk.create import create_disk

    return create_disk("data.img", "data", 48 << 20)


def _leftovers(base: Path) -> list[str]:
    """Loop devices backed by files under the run's temp base, and mounts below it."""
    found = []
    out = subprocess.run(["losetup", "--list", "--json", "--output", "NAME,BACK-FILE"],
                         capture_output=True, text=True, check=False).stdout
    for dev in json.loads(out)["loopdevices"] if out.strip() else []:
        back = (dev.get("back-file") or "").removesuffix(" (deleted)")
        if back.startswith(str(base)):
            found.append(f"{dev['name']} -> {back}")
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4]
        if point.startswith(str(base)):
            found.append(f"mount {point}")
    return found


_BASETEMP = pytest.StashKey[Path]()


@pytest.fixture(autouse=True, scope="session")
def _remember_basetemp(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> None:
    """Note the run's temp base (public API), so the leak check knows where to look."""
    request.config.stash[_BASETEMP] = tmp_path_factory.getbasetemp().resolve()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any test left a loop device or a mount behind."""
    base = session.config.stash.get(_BASETEMP, None)
    if not ROOT or base is None:  # None: no test ran, so nothing can have leaked
        return
    leaks = _leftovers(base)
    if leaks:
        print("\nLEAK: the tests left these attached:\n  " + "\n  ".join(leaks))
        session.exitstatus = 1
