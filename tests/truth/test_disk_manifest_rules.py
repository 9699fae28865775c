"""Disk-level differences and the disk manifest's JSON form (pure, no root)."""

from __future__ import annotations

from pathlib import Path

from workbench.truth.disk_manifest import DiskManifest, disk_differences, load_any
from workbench.truth.manifest import Manifest, ManifestEntry

PARTS = [
    {"number": 1, "type": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "uuid": "A", "name": "ESP",
     "start": 1 << 20, "size": 34 << 20},
    {"number": 2, "type": "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "uuid": "B", "name": "root",
     "start": 35 << 20, "size": 60 << 20},
]


def disk(**changes: object) -> DiskManifest:
    root = Manifest({"etc": ManifestEntry("etc", "dir", 0, 0o40755, 0, 0, 1)})
    base = DiskManifest("gpt", "GUID", [dict(p) for p in PARTS], "boot", {"EFI/BOOT/BOOTX64.EFI": "h1"}, root)
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_equal_disks_have_no_differences_and_round_trip(tmp_path: Path) -> None:
    original = disk()
    assert disk_differences(original, disk()) == []
    path = tmp_path / "d.json"
    original.save(path)
    loaded = DiskManifest.load(path)
    assert loaded.partitions == original.partitions and loaded.root.entries == original.root.entries
    assert loaded.table_hash == original.table_hash
    tree, whole = load_any(path)
    assert whole is not None and tree.entries == original.root.entries


def test_each_disk_level_difference_is_named() -> None:
    moved = [dict(PARTS[0]), {**PARTS[1], "start": 36 << 20}]
    found = disk_differences(disk(), disk(partitions=moved, boot_code="other",
                                          esp={"EFI/BOOT/BOOTX64.EFI": "h2", "x": "y"}))
    assert len(found) == 4
    assert found[0].startswith("partition 2:") and str(35 << 20) in found[0] and str(36 << 20) in found[0]
    assert "boot code (bytes 0-439) differs" in found
    assert "ESP file corrupted: EFI/BOOT/BOOTX64.EFI" in found and "ESP file unexpected: x" in found
    assert disk_differences(disk(), disk(partitions=PARTS[:1])) == [f"partition 2: root type {PARTS[1]['type']} uuid B "
                                                                    f"start {35 << 20} size {60 << 20} -> none"]
    assert any("disk GUID" in f for f in disk_differences(disk(), disk(disk_guid="OTHER")))
