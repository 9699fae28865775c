"""What a folder command loads before it starts: not the disk layer it never uses.

Our CLI's start-up is part of every timed run (a sync with nothing to do takes about half a
second), and importing the loop-device, mount and served-disk modules cost about 50 ms of it
(median of 30 runs each, before and after, on the benchmark machine). Those modules load when a
disk is opened; these tests keep them out of a folder mirror's and a folder manifest's imports.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

#: The disk modules a folder command must not load: loop devices, mounts, served disks, the partition table.
DISK_LAYER = ("workbench.disk.loop", "workbench.disk.mounting", "workbench.disk.served", "workbench.disk.table")


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(m for m in sys.modules if m.startswith('workbench.')))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize("mode", ["sync", "two-way", "continuous"])
def test_a_folder_mirror_starts_without_the_disk_layer(mode: str) -> None:
    loaded = _loaded_after(f"import workbench.cli.mirror_cmd, workbench.commands.mirror\n"
                           f"from workbench.strategies import mirror\nmirror.make({mode!r})")
    assert "workbench.strategies.mirror.sync" in loaded  # the probe did load the engine
    assert loaded.isdisjoint(DISK_LAYER), sorted(loaded & set(DISK_LAYER))


def test_raid1_still_loads_what_it_needs() -> None:
    loaded = _loaded_after("from workbench.strategies import mirror\nmirror.make('raid1')")
    assert {"workbench.strategies.mirror.raid1", "workbench.disk.loop", "workbench.disk.served"} <= loaded


def test_a_folder_manifest_starts_without_the_disk_layer() -> None:
    loaded = _loaded_after("import workbench.cli.manifest_cmd")
    assert "workbench.truth.manifest" in loaded
    assert loaded.isdisjoint(DISK_LAYER), sorted(loaded & set(DISK_LAYER))


def test_a_mirror_worker_starts_without_threads_or_ctypes() -> None:
    """A worker process (the target's scan) imports only what scanning needs: 12-23 ms less per start here."""
    loaded = _loaded_after("import workbench.workers, workbench.strategies.mirror.tree\n"
                           "print(' '.join(m for m in ('concurrent.futures', 'ctypes') if m in sys.modules))")
    assert "workbench.strategies.mirror.tree" in loaded
    assert not {"concurrent.futures", "ctypes"} & loaded
    assert loaded.isdisjoint(DISK_LAYER), sorted(loaded & set(DISK_LAYER))
