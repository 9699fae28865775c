"""Pure planning and parsing: no root needed."""

from __future__ import annotations

import json

import pytest

from workbench.disk import bootcode, layout
from workbench.disk.table import parse_sfdisk_json
from workbench.errors import UsageError
from workbench.units import format_bytes, parse_size

MiB = 1 << 20


def test_system_plan_has_esp_then_root_filling_the_rest() -> None:
    plan = layout.plan("system", 256 * MiB)
    esp, root = plan.partitions
    assert (esp.name, esp.filesystem, esp.size_bytes) == ("ESP", "vfat", layout.SMALL_ESP)
    assert (root.name, root.filesystem, root.size_bytes) == ("root", "ext4", None)
    script = plan.sfdisk_script()
    assert script.splitlines()[0] == "label: gpt"
    assert f"size={layout.SMALL_ESP // 512}, type={layout.ESP_TYPE}" in script


def test_large_disks_get_the_larger_esp() -> None:
    assert layout.plan("system", 2048 * MiB).partitions[0].size_bytes == 64 * MiB


@pytest.mark.parametrize("name", ["system", "data"])
def test_too_small_a_disk_names_the_minimum(name: str) -> None:
    minimum = layout.minimum_size(name)
    layout.plan(name, minimum)  # the minimum itself is fine
    with pytest.raises(UsageError, match=rf"at least .*--size {minimum // MiB}M"):
        layout.plan(name, minimum - MiB)


def test_unknown_layout_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="data, system"):
        layout.plan("raid5", 256 * MiB)


def test_sfdisk_json_roles_and_offsets() -> None:
    text = json.dumps({"partitiontable": {
        "label": "gpt", "id": "abc", "sectorsize": 512,
        "partitions": [
            {"start": 2048, "size": 69632, "type": layout.ESP_TYPE, "uuid": "u1", "name": ""},
            {"start": 71680, "size": 100000, "type": layout.LINUX_TYPE, "uuid": "u2", "name": ""},
            {"start": 171680, "size": 5000, "type": layout.LINUX_TYPE, "uuid": "u3", "name": "swapish"},
        ]}})
    table = parse_sfdisk_json(text)
    assert [p.role for p in table.partitions] == ["esp", "root", "other"]
    assert table.by_role("root").start_bytes == 71680 * 512
    assert table.by_role("root").end_bytes == (71680 + 100000) * 512


def test_boot_code_states() -> None:
    code = bootcode.boot_code(bytes(range(16)))
    assert bootcode.boot_code(bytes(range(1, 17))) != code, "each disk has its own boot code"
    assert len(code) == bootcode.BOOT_CODE_SIZE
    assert bootcode.boot_code_state(code) == "intact"
    assert bootcode.boot_code_state(bytes(440)) == "blank"
    flipped = bytearray(code)
    flipped[100] ^= 0x01
    assert bootcode.boot_code_state(bytes(flipped)) == "damaged"
    assert bootcode.boot_code_state(b"\xeb\x63\x90" + bytes(range(256)) + bytes(181)) == "foreign"


@pytest.mark.parametrize("text,expected", [("64M", 64 * MiB), ("2G", 2 << 30), ("4096", 4096),
                                           ("1.5K", 1536), ("256MiB", 256 * MiB)])
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


def test_bad_size_says_how_to_write_one() -> None:
    with pytest.raises(UsageError, match="write it like"):
        parse_size("lots")


def test_format_bytes() -> None:
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(512) == "512 B"
