"""``compare --disk IMG``: an imported disk's ext4 root is the workload; other layouts are refused in one line."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from workbench.commands.compare import compare
from workbench.commands.dataset import dataset_build
from workbench.disk.workload_disk import workload_root
from workbench.errors import UsageError


def _digest(image: Path) -> str:
    return hashlib.sha256(image.read_bytes()).hexdigest()


def _partitioned(path: Path, script: str) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(32 << 20)
    subprocess.run(["sfdisk", "--quiet", str(path)], input=script, text=True, check=True, capture_output=True)
    return path


@pytest.mark.root
def test_other_layouts_are_refused_with_what_was_found(workspace: Path, data_disk: Path) -> None:
    assert workload_root(data_disk).number == 1  # GPT with one ext4 partition and no ESP is a root
    blank = workspace / "blank.img"
    blank.write_bytes(bytes(1 << 20))
    cases = {
        "blank.img": "has no partition table",
        _partitioned(workspace / "mbr.img", "label: dos\n,16M,L\n").name: "an MBR (dos) partition table",
        _partitioned(workspace / "two.img", "label: gpt\n,8M,L\n,8M,L\n").name:
            "GPT with 0 ESPs, partition 1: unknown, partition 2: unknown",
    }
    for name, found in cases.items():
        with pytest.raises(UsageError, match="--disk takes") as refused:
            workload_root(name)
        assert found in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.root
def test_compare_disk_copies_the_root_and_never_writes_the_image(workspace: Path, system_disk: Path,
                                                                tmp_path: Path) -> None:
    dataset_build("classroom", disk=system_disk, data_size="4M", seed=3)
    before = _digest(system_disk)

    result = compare(out=tmp_path / "results", disk=system_disk, churn="0", strategies="backup",
                     scenarios="deletion", report=False, quiet=True)

    assert _digest(system_disk) == before
    (row,) = result.rows
    assert row["status"] == "ok", row["error"]
    assert row["files_missing"] == 0 and row["files_intact"] > 50 and row["came_back_clean"]
    assert "users:\n- alice\n- bob" in (result.out / "tree.yaml").read_text()
