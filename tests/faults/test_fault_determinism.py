"""Same seed, same disk state: the same record, for faults through a mount and under it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.disk.mounting import mounted
from workbench.faults import FaultRecord, bad_sectors, delete_folder, encrypt, wipe_table

pytestmark = pytest.mark.root


def _ransomware(image: Path, seed: int) -> FaultRecord:
    with mounted(image) as root:  # a new mount point every time
        return encrypt(root, seed=seed, fraction=0.5)


def _deletion(image: Path, seed: int) -> FaultRecord:
    with mounted(image) as root:
        return delete_folder(root, seed=seed)


INJECTORS: dict[str, Callable[[Path, int], FaultRecord]] = {
    "ransomware": _ransomware,
    "deletion": _deletion,
    "bad-sectors": lambda image, seed: bad_sectors(image, seed=seed, sectors=3),
    "partition-wipe": lambda image, seed: wipe_table(image, fill="random", seed=seed),
}


@pytest.mark.parametrize("kind", sorted(INJECTORS))
def test_same_seed_same_record_other_seed_other_record(kind: str, home_disk: Path, tmp_path: Path) -> None:
    inject = INJECTORS[kind]
    pristine = tmp_path / "pristine.img"
    shutil.copy(home_disk, pristine)
    first = inject(home_disk, 11)
    shutil.copy(pristine, home_disk)
    second = inject(home_disk, 11)
    assert first.outcome() == second.outcome()
    shutil.copy(pristine, home_disk)
    assert inject(home_disk, 12).outcome() != first.outcome()
