"""A big file on a bad sector is recorded unreadable, whether the manifest hashes it in this process (which
never maps a file) or in worker processes (which map it, die of SIGBUS, and are replaced by ones that read)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.disk.mounting import drop_caches, mounted
from workbench.disk.served import opened
from workbench.faults.read_errors import inject_read_errors
from workbench.truth.manifest import UNREADABLE

pytestmark = pytest.mark.root

BIG = 20 << 20  # above every threshold the hashers ever had (the manifest mapped files from 16 MiB)


@pytest.mark.parametrize("in_workers", [False, True], ids=["threads", "worker-processes"])
def test_a_manifest_of_a_tree_with_a_big_unreadable_file_records_it_and_goes_on(
        workspace: Path, system_disk: Path, in_workers: bool) -> None:
    with mounted(system_disk) as root:
        (root / "home").mkdir()
        (root / "home/big.bin").write_bytes(os.urandom(BIG))
        (root / "home/small.txt").write_text("readable")
    record = inject_read_errors(system_disk, seed=3, files=1, directories=0, inodes=0)
    assert record.files == ["home/big.bin"]
    drop_caches()
    with opened(system_disk) as disk, mounted(disk, readonly=True) as root:
        # in a child, so that a SIGBUS would fail this test instead of killing the test run
        script = ("import sys; from workbench.truth import manifest; "
                  f"manifest.WORKER_ENTRIES = {1 if in_workers else 1 << 30}; "
                  "m = manifest.take_manifest(sys.argv[1], include=['home']); "
                  "print(m.entries['home/big.bin'].hash, m.entries['home/small.txt'].hash is not None)")
        done = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True,
                              timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [UNREADABLE, "True"]
