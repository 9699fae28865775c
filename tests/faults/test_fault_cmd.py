"""``workbench fault``: the CLI prints the record, and the damage it describes is real."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from fault_helpers import FILES, changed_offsets, content, image_bytes, read_files

from workbench.cli.main import main
from workbench.disk import health
from workbench.disk.loop import loops_of
from workbench.disk.mounting import mounted
from workbench.faults import FaultRecord, decrypt

pytestmark = pytest.mark.root


def test_inject_json_record_is_the_real_damage(home_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fault", "inject", "bitrot", "--disk", home_disk.name, "--seed", "2", "--count", "5",
                 "--folder", "home/bob", "--json"]) == 0
    record = FaultRecord.from_json(json.loads(capsys.readouterr().out))
    assert record.kind == "bitrot" and len(record.bits) == 5
    assert all(name.startswith("home/bob/") for name in record.files)
    now = read_files(home_disk)
    assert {n for n, s in FILES.items() if now[n] != content(n, s)} == set(record.files)


def test_ransomware_from_the_cli_decrypts_with_its_record(home_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fault", "inject", "ransomware", "--disk", home_disk.name, "--fraction", "1", "--json"]) == 0
    record = FaultRecord.from_json(json.loads(capsys.readouterr().out))
    assert len(record.files) == len([n for n in FILES if n.startswith("home/")])
    with mounted(home_disk) as root:
        decrypt(record, root)
    assert read_files(home_disk) == {n: content(n, s) for n, s in FILES.items()}


def test_text_output_and_self_repair(home_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fault", "inject", "partition-wipe", "--disk", home_disk.name, "--which", "primary"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("partition-wipe (seed 0)") and "which=primary" in out
    assert not health.check(home_disk).partition_table_ok
    assert main(["fault", "repair", "gpt", "--disk", home_disk.name]) == 0
    assert health.check(home_disk).ok


def test_missing_disk_is_a_usage_error(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fault", "inject", "boot-wipe"]) == 2
    assert "needs --disk" in capsys.readouterr().err


# ---------------------------------------------------------------- every disk kind through the CLI

EXT4_MAGIC_AT = 1024 + 56  # s_magic, from the partition start
#: Options per kind (besides --seed and --json); target-corruption works on a folder, not a disk.
KIND_ARGS = {
    "deletion": ["--folder", "home/alice", "--count", "2"],
    "bad-sectors": ["--count", "4"],
    "superblock": [],
    "boot-wipe": ["--variant", "bios"],  # the uefi variant (the default): tests/boot/test_esp_loader_wipe.py
    "disk-loss": [],
    "target-corruption": ["--target", "repo", "--count", "6"],
}


def _wait_until_detached(disk: Path) -> None:
    """A loop detached while the kernel still holds it goes away a moment later (autoclear); wait for that.

    Seen once under load: the raw-byte fault then refused the disk as still attached.
    """
    for _ in range(50):
        if not loops_of(disk):
            return
        time.sleep(0.1)


def _damaged_only_in_the_recorded_ranges(record: FaultRecord, disk: Path, before: np.ndarray) -> list[int]:
    changed = changed_offsets(before, image_bytes(disk))
    assert changed, "nothing changed on the disk"
    assert all(any(r.offset <= at < r.end for r in record.ranges) for at in changed)
    assert sum(r.changed_bytes for r in record.ranges) == len(changed)
    return changed


def _check_deletion(record: FaultRecord, disk: Path, before: np.ndarray) -> None:
    assert len(record.files) == 2 and all(name.startswith("home/alice/") for name in record.files)
    with mounted(disk, readonly=True) as root:
        assert not any((root / name).exists() for name in record.files)
    survivors = [n for n in FILES if n not in record.files]
    assert read_files(disk, survivors) == {n: content(n, FILES[n]) for n in survivors}


def _check_bad_sectors(record: FaultRecord, disk: Path, before: np.ndarray) -> None:
    _damaged_only_in_the_recorded_ranges(record, disk, before)
    now = read_files(disk)
    assert record.files and {n for n, s in FILES.items() if now[n] != content(n, s)} == set(record.files)


def _check_superblock(record: FaultRecord, disk: Path, before: np.ndarray) -> None:
    _damaged_only_in_the_recorded_ranges(record, disk, before)
    magic_at = record.details["partition_offset"] + EXT4_MAGIC_AT
    assert bytes(before[magic_at : magic_at + 2]) == b"\x53\xef"
    assert bytes(image_bytes(disk)[magic_at : magic_at + 2]) != b"\x53\xef"


def _check_boot_wipe(record: FaultRecord, disk: Path, before: np.ndarray) -> None:
    changed = _damaged_only_in_the_recorded_ranges(record, disk, before)
    assert changed[-1] < 440 and not image_bytes(disk)[:440].any()


def _check_disk_loss(record: FaultRecord, disk: Path, before: np.ndarray) -> None:
    assert not disk.exists()
    assert record.target == str(disk) and record.details["size_bytes"] == len(before)


def _check_target_corruption(record: FaultRecord, repo: Path, before: dict[str, bytes]) -> None:
    after = {p.name: p.read_bytes() for p in sorted(repo.iterdir())}
    flipped = {name: sum(bin(a ^ b).count("1") for a, b in zip(before[name], after[name])) for name in before}
    assert sum(flipped.values()) == len(record.bits) == 6
    assert {name for name, bits in flipped.items() if bits} == set(record.files)


CHECKS = {"deletion": _check_deletion, "bad-sectors": _check_bad_sectors, "superblock": _check_superblock,
          "boot-wipe": _check_boot_wipe, "disk-loss": _check_disk_loss}  # fmt: skip


@pytest.mark.parametrize("kind", KIND_ARGS)
def test_each_kind_from_the_cli_records_the_real_damage(kind: str, workspace: Path, request: pytest.FixtureRequest,
                                                        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    args = ["fault", "inject", kind, "--seed", "3", "--json", *KIND_ARGS[kind]]
    if kind == "target-corruption":
        repo = workspace / "repo"
        repo.mkdir()
        for index in range(3):
            (repo / f"chunk-{index}").write_bytes(content(f"chunk-{index}", 20_000))
        before = {p.name: p.read_bytes() for p in sorted(repo.iterdir())}
    else:
        disk = request.getfixturevalue("home_disk")
        _wait_until_detached(disk)
        args += ["--disk", disk.name]
        before = image_bytes(disk)
    assert main(args) == 0
    record = FaultRecord.from_json(json.loads(capsys.readouterr().out))
    assert record.kind == kind and record.seed == 3
    if kind == "target-corruption":
        _check_target_corruption(record, repo, before)
    else:
        CHECKS[kind](record, disk, before)
