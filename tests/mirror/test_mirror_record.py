"""The mirror's records name their format and version; older records still read, newer ones are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.errors import DamageFound, UsageError
from workbench.strategies.mirror import record


def test_a_record_is_written_with_its_format_and_version_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / record.SYNC_NAME
    record.write_record(path, {"mode": "sync"})
    assert json.loads(path.read_text()) == {"format": "workbench-mirror", "version": 2, "mode": "sync"}
    assert record.read_record(path) == {"format": "workbench-mirror", "version": 2, "mode": "sync"}
    assert record.read_record(tmp_path / "none.json") is None


def test_a_record_from_before_the_format_had_a_name_still_reads(tmp_path: Path) -> None:
    path = tmp_path / record.SYNC_NAME
    path.write_text(json.dumps({"format": 1, "mode": "sync"}))
    assert record.read_record(path) == {"format": 1, "mode": "sync"}


@pytest.mark.parametrize(("data", "kind", "message"), [
    ({"format": "workbench-mirror", "version": 3}, UsageError, "newer workbench"),
    ({"format": 3}, UsageError, "newer workbench"),
    ({"format": "workbench-backup", "version": 1}, DamageFound, "not a readable mirror record"),
    ([1, 2], DamageFound, "not a readable mirror record"),
])
def test_a_newer_record_is_refused_and_a_foreign_one_is_damage(tmp_path: Path, data: object, kind: type,
                                                               message: str) -> None:
    path = tmp_path / record.TWOWAY_NAME
    path.write_text(json.dumps(data))
    with pytest.raises(kind, match=message):
        record.read_record(path)
