"""``workbench fault``: the CLI prints the record, and the damage it describes is real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fault_helpers import FILES, content, read_files

from workbench.cli.main import main
from workbench.disk import health
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
