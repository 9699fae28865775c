"""A targeted restore onto a full disk ends with one line the recovery can record, not an OSError."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from workbench.errors import OperationFailed
from workbench.strategies.mirror import listing, tree


def test_a_full_destination_ends_the_copy_with_operation_failed(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root, destination = tmp_path / "point", tmp_path / "live"
    (root / "docs").mkdir(parents=True)
    for name in ("a", "b", "c"):
        (root / "docs" / name).write_bytes(name.encode() * 100)
    real_write = tree.write_file
    written: list[str] = []

    def write_until_full(source: str, target: str, entry: tree.MirrorEntry) -> None:
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(source, target, entry)
        written.append(target)

    monkeypatch.setattr(tree, "write_file", write_until_full)
    with pytest.raises(OperationFailed, match=r"copied \d+ entries of point p1, then the destination filled up"):
        listing.copy_paths(root, ["docs"], destination, point_id="p1")
    assert [Path(p).name for p in written] == ["a"] and (destination / "docs" / "a").read_bytes() == b"a" * 100


def test_other_write_errors_are_not_taken_for_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "point"
    root.mkdir()
    (root / "a").write_bytes(b"x")

    def refuse(source: str, target: str, entry: tree.MirrorEntry) -> None:
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tree, "write_file", refuse)
    with pytest.raises(PermissionError):
        listing.copy_paths(root, ["a"], tmp_path / "live", point_id="p1")
