"""A file the storage cannot read (EIO) is recorded, and judged corrupted, instead of stopping the manifest."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from workbench.truth import manifest as manifest_module
from workbench.truth.judge import compare
from workbench.truth.manifest import UNREADABLE, take_manifest


def test_an_unreadable_file_is_corrupted_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "good.txt").write_text("fine")
    (tmp_path / "bad.txt").write_text("rotten under both copies")
    expected = take_manifest(tmp_path)
    real = manifest_module.hash_sized

    def failing(path: str, size: int, *, mapped: bool) -> bytes:
        if path.endswith("bad.txt"):
            raise OSError(errno.EIO, "Input/output error")
        return real(path, size, mapped=mapped)

    monkeypatch.setattr(manifest_module, "hash_sized", failing)
    actual = take_manifest(tmp_path)
    assert actual.entries["bad.txt"].hash == UNREADABLE
    verdicts = {v.path: v.category for v in compare(expected, actual).verdicts}
    assert verdicts == {"good.txt": "intact", "bad.txt": "corrupted"}
