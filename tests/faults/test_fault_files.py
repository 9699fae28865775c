"""File-level faults through the mounted filesystem: deletion and ransomware."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_helpers import FILES, content

from workbench.disk.mounting import mounted
from workbench.faults import (
    decrypt,
    delete_files,
    delete_folder,
    delete_on_disk,
    encrypt,
    encrypt_files,
    encrypt_reachable_targets,
    split_days,
)
from workbench.faults.ransomware import EXTENSION, NOTE_NAME, candidates, choose_victims
from workbench.faults.records import rng

pytestmark = pytest.mark.root
HOME = [n for n in FILES if n.startswith("home/")]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "lost+found" not in p.parts}


def test_deleting_files_removes_exactly_the_recorded_ones(home_disk: Path) -> None:
    with mounted(home_disk) as root:
        record = delete_files(root, seed=2, count=3)
        left = _tree(root)
    assert len(record.files) == 3 and set(record.files) <= set(HOME)
    assert set(left) == set(FILES) - set(record.files)
    assert record.details["bytes"] == sum(FILES[n] for n in record.files)


def test_deleting_a_folder_removes_everything_in_it(home_disk: Path) -> None:
    with mounted(home_disk) as root:
        record = delete_folder(root, seed=0, folders=["home/alice"])
        left = _tree(root)
        assert not (root / record.details["folder"]).exists()
    assert record.details["folder"] in ("home/alice/docs", "home/alice/photos")
    assert record.files == sorted(n for n in FILES if n.startswith(record.details["folder"] + "/"))
    assert set(left) == set(FILES) - set(record.files)


def test_deletion_on_a_disk_is_repeatable_for_a_seed(home_disk: Path) -> None:
    record = delete_on_disk(home_disk, seed=7, count=2)
    assert record.target == str(home_disk)
    assert record.files == sorted(rng("deletion", 7).sample(sorted(HOME), 2))
    with mounted(home_disk, readonly=True) as root:
        assert set(_tree(root)) == set(FILES) - set(record.files)


def test_ransomware_encrypts_renames_and_leaves_notes_and_decrypt_undoes_it(home_disk: Path) -> None:
    with mounted(home_disk) as root:
        record = encrypt(root, seed=4, fraction=0.5)
        after = _tree(root)
        assert len(record.files) == 4  # half of the 7 files under home, rounded up
        for name in record.files:
            assert name not in after
            locked = after[name + EXTENSION]
            assert len(locked) == FILES[name] and locked != content(name, FILES[name])
            assert (Path(name).parent / NOTE_NAME).as_posix() in after
        untouched = set(FILES) - set(record.files)
        assert all(after[n] == content(n, FILES[n]) for n in untouched)
        assert {n["file"] for n in record.details["notes"]} == {str(Path(n).parent / NOTE_NAME) for n in record.files}

        restored = decrypt(record)
        assert sorted(restored) == sorted(str(root / n) for n in record.files)
        assert _tree(root) == {n: content(n, s) for n, s in FILES.items()}


def test_ransomware_record_decrypts_on_a_later_mount(home_disk: Path) -> None:
    with mounted(home_disk) as root:
        record = encrypt(root, seed=1, fraction=1.0, folders=["home/bob"])
    with mounted(home_disk) as root:
        decrypt(record, root)
        assert _tree(root) == {n: content(n, s) for n, s in FILES.items()}


def test_slow_ransomware_strikes_one_subset_per_day_with_one_key(home_disk: Path) -> None:
    with mounted(home_disk) as root:
        victims = choose_victims(candidates(root), 1.0, rng("ransomware", 3))
        days = split_days(victims, 3, rng("ransomware", 3))
        records = []
        for day in days:
            records.append(encrypt_files(root, day, seed=3))
            assert all((root / (n + EXTENSION)).exists() for n in day)
        assert candidates(root) == []
        assert len({r.key for r in records}) == 1
        assert sum(len(r.details["notes"]) for r in records) == 4  # one note per struck folder, never twice
        for record in reversed(records):
            decrypt(record)
        assert _tree(root) == {n: content(n, s) for n, s in FILES.items()}


def test_reachable_targets_are_encrypted_too(workspace: Path) -> None:
    mirror = workspace / "mirror"
    for name, size in FILES.items():
        (mirror / name).parent.mkdir(parents=True, exist_ok=True)
        (mirror / name).write_bytes(content(name, size))
    record = encrypt_reachable_targets([mirror], seed=2)
    assert record.files == sorted(str(mirror / n) for n in FILES)
    assert all(not (mirror / n).exists() and (mirror / (n + EXTENSION)).exists() for n in FILES)
    decrypt(record)
    assert _tree(mirror) == {n: content(n, s) for n, s in FILES.items()}
