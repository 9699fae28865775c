"""The data a strategy covers, in its two measures, against the tools a user would ask: du and ls."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from workbench.experiment.space import protected_bytes, protected_logical_bytes, space_columns
from workbench.truth.manifest import Manifest, take_manifest


@dataclass
class Scoped:
    """What the space measures ask of a protection: its scope and folders."""

    scope: str
    folders: tuple[str, ...] = ()


class NoMachine:
    def stored_bytes(self) -> int:
        raise AssertionError("a folder scope is measured from the manifest, not the disk")


def _tree(root: Path) -> None:
    home = root / "home" / "alice"
    (home / "Documents").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "etc" / "outside.conf").write_bytes(b"x" * 50_000)  # out of the folders' scope
    (home / "Documents" / "report.doc").write_bytes(os.urandom(300_000))
    os.link(home / "Documents" / "report.doc", home / "report-link.doc")  # one inode, two names
    with open(home / "disk.raw", "wb") as handle:  # 16 MiB with 8 KiB of data at each end
        handle.write(os.urandom(8192))
        handle.seek((16 << 20) - 8192)
        handle.write(os.urandom(8192))
    (home / "Desktop").symlink_to("Documents")
    (home / "empty").touch()


def test_protected_bytes_is_what_du_counts_and_the_logical_size_what_ls_shows(tmp_path: Path) -> None:
    _tree(tmp_path)
    manifest = take_manifest(tmp_path)
    backup = Scoped("folders", ("home",))
    du = int(subprocess.run(["du", "-s", "-B1", tmp_path / "home"], capture_output=True, text=True,
                            check=True).stdout.split()[0])
    assert protected_bytes(backup, NoMachine(), manifest) == du  # type: ignore[arg-type]
    assert du < 1 << 20, "the holes and the second name took nothing"
    names = [Path(folder, name) for folder, _, files in os.walk(tmp_path / "home") for name in files]
    ls = sum(path.lstat().st_size for path in names if not path.is_symlink())
    assert protected_logical_bytes(backup, manifest) == ls == (16 << 20) + 2 * 300_000  # type: ignore[arg-type]


def test_the_whole_tree_is_the_logical_scope_of_a_disk_and_nothing_of_none(tmp_path: Path) -> None:
    _tree(tmp_path)
    manifest = take_manifest(tmp_path)
    assert protected_logical_bytes(Scoped("whole-disk"), manifest) == (16 << 20) + 2 * 300_000 + 50_000  # type: ignore[arg-type]
    assert protected_logical_bytes(Scoped("nothing"), manifest) == 0  # type: ignore[arg-type]
    assert protected_bytes(Scoped("nothing"), NoMachine(), manifest) == 0  # type: ignore[arg-type]


def test_amplification_divides_by_what_is_stored() -> None:
    columns = space_columns(footprint_bytes=60, reserved_bytes=100, usable_bytes=float("nan"), protected=30,
                            protected_logical=90)
    assert columns["space_amplification"] == 2.0 and columns["usable_bytes"] != columns["usable_bytes"]
    assert space_columns(0, 0, 5.0, 0, 0)["space_amplification"] != 0, "nothing in scope: NaN, not 0"


def test_the_allocation_plays_no_part_in_a_manifest_s_equality_or_digest(tmp_path: Path) -> None:
    """The same tree takes other room on another filesystem: a restored copy is still equal."""
    _tree(tmp_path)
    manifest = take_manifest(tmp_path)
    entry = manifest.entries["home/alice/disk.raw"]
    assert 16384 <= entry.allocated_bytes < 1 << 20 and "allocated_bytes" not in entry.to_json()
    moved = Manifest({p: replace(e, allocated_bytes=e.allocated_bytes + 4096) for p, e in manifest.entries.items()})
    assert moved.entries == manifest.entries and moved.digest() == manifest.digest()
    assert moved.allocated_bytes(("home",)) > manifest.allocated_bytes(("home",))
