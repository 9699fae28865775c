"""The workbench's JSON: compact UTF-8 out, what orjson refuses written and read by the json module,
and one line naming a file that is not JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workbench.errors import DamageFound, UsageError, WorkbenchError
from workbench.jsonfile import dumps, loads, read_json
from workbench.truth.manifest import take_manifest


def test_values_come_back_as_written() -> None:
    value = {"path": "home/é/ü.txt", "mtime_ns": 1_796_197_453_018_783_005, "list": [1, None, True], "x": {}}
    assert dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    assert loads(dumps(value)) == value


def test_a_name_that_is_not_utf8_is_escaped_and_read_back() -> None:
    name = os.fsdecode(b"caf\xe9.txt")  # a Latin-1 name on disk: Python keeps the byte as a lone surrogate
    raw = dumps({"path": name})
    assert b"\\udce9" in raw
    assert loads(raw) == {"path": name}


def test_a_manifest_of_a_tree_with_an_undecodable_name_saves_and_loads(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / os.fsdecode(b"caf\xe9.txt")).write_bytes(b"coffee")
    manifest = take_manifest(tree)
    manifest.save(tmp_path / "m.json")
    assert type(manifest).load(tmp_path / "m.json").entries == manifest.entries


@pytest.mark.parametrize("damaged", [UsageError, DamageFound])
def test_a_file_that_is_not_json_is_one_line_naming_it(tmp_path: Path, damaged: type[WorkbenchError]) -> None:
    bad = tmp_path / "record.json"
    bad.write_bytes(b'{"format": "workbench-mirror", "version"')
    with pytest.raises(damaged, match=r"^'.*record\.json' is not a readable mirror record \(bad JSON: .*\): fix it$"):
        read_json(bad, "mirror record", fix="fix it", damaged=damaged)
    assert read_json(tmp_path / "absent.json", "mirror record", fix="fix it") is None
