"""Bit rot under the filesystem: exactly the recorded bits change, the filesystem does not notice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fault_helpers import FILES, changed_offsets, content, image_bytes, read_files

from workbench import proc
from workbench.disk.mounting import mounted
from workbench.disk.table import read_table
from workbench.errors import UsageError
from workbench.faults import inject_bitrot, inject_bitrot_at

pytestmark = pytest.mark.root


def test_only_the_recorded_bits_change_and_files_read_with_other_content(home_disk: Path) -> None:
    before = image_bytes(home_disk)
    record = inject_bitrot(home_disk, seed=5, count=12)
    after = image_bytes(home_disk)

    assert changed_offsets(before, after) == sorted({flip.offset for flip in record.bits})
    for flip in record.bits:
        assert before[flip.offset] ^ after[flip.offset] == 1 << flip.bit
    assert len(record.bits) == 12 and all(f.file.startswith("home/") for f in record.bits)

    now = read_files(home_disk)  # still readable: no I/O error, same size
    for name, size in FILES.items():
        expected = bytearray(content(name, size))
        for flip in (f for f in record.bits if f.file == name):
            expected[flip.file_offset] ^= 1 << flip.bit
        assert now[name] == bytes(expected), name
    assert {n for n in FILES if now[n] != content(n, FILES[n])} == set(record.files)

    start = read_table(home_disk).by_role("root").start_bytes
    assert proc.run(["e2fsck", "-fn", f"{home_disk}?offset={start}"], check=False).returncode == 0
    assert record.blocks == sorted({(f.offset - start) // 1024 for f in record.bits})


def test_same_seed_same_disk_gives_the_same_record(home_disk: Path, tmp_path: Path) -> None:
    pristine = tmp_path / "pristine.img"
    shutil.copy(home_disk, pristine)
    first = inject_bitrot(home_disk, seed=9, count=6, mode="clustered")
    shutil.copy(pristine, home_disk)
    second = inject_bitrot(home_disk, seed=9, count=6, mode="clustered")
    assert first.outcome() == second.outcome()
    shutil.copy(pristine, home_disk)
    assert inject_bitrot(home_disk, seed=10, count=6).outcome() != first.outcome()


def test_clustered_rot_stays_within_a_small_stretch_of_disk(home_disk: Path) -> None:
    record = inject_bitrot(home_disk, seed=3, count=20, mode="clustered")
    offsets = [flip.offset for flip in record.bits]
    assert max(offsets) - min(offsets) < 64 * 1024


def test_a_named_file_can_be_targeted(home_disk: Path) -> None:
    record = inject_bitrot(home_disk, seed=1, count=4, files=["home/bob/notes.txt"])
    assert record.files == ["home/bob/notes.txt"]
    now = read_files(home_disk)
    assert now["home/bob/notes.txt"] != content("home/bob/notes.txt", 1_200)
    assert all(now[n] == content(n, s) for n, s in FILES.items() if n != "home/bob/notes.txt")


def test_refuses_while_the_disk_is_mounted(home_disk: Path) -> None:
    before = image_bytes(home_disk)
    with mounted(home_disk, readonly=True):
        with pytest.raises(UsageError, match="attached"):
            inject_bitrot(home_disk, seed=1)
    assert changed_offsets(before, image_bytes(home_disk)) == []


def test_rot_at_given_places_stays_inside_them(workspace: Path) -> None:
    half = workspace / "half.img"
    half.write_bytes(content("half", 1 << 20))
    before = image_bytes(half)
    places = [(4096, 4096), (65536, 512)]
    record = inject_bitrot_at(half, places, seed=2, count=30, label="home/a.bin")
    offsets = changed_offsets(before, image_bytes(half))
    assert offsets == sorted({f.offset for f in record.bits}) and len(record.bits) == 30
    assert all(any(o <= f.offset < o + n for o, n in places) for f in record.bits)
    assert record.files == ["home/a.bin"]
