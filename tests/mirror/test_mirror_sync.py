"""One-way sync: rsync -a --delete semantics, quick-check versus checksum, metadata, the record."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from workbench.errors import UsageError
from workbench.strategies.mirror import record
from workbench.strategies.mirror.sync import sync_tree
from workbench.strategies.mirror.tree import TEMP_PREFIX, scan


def _tree(root: Path) -> dict[str, bytes | str]:
    """Path -> content (files) or 'dir' / 'link:TARGET', leaving out the mirror's record."""
    found: dict[str, bytes | str] = {}
    for rel, entry in scan(root, exclude_top=record.NAMES).items():
        if not rel:
            continue
        path = root / rel
        found[rel] = {"d": "dir", "l": f"link:{entry.link}"}.get(entry.kind) or path.read_bytes()
    return found


@pytest.fixture
def pair(workspace: Path) -> tuple[Path, Path]:
    src, dst = workspace / "src", workspace / "dst"
    (src / "docs" / "old").mkdir(parents=True)
    (src / "docs" / "a.txt").write_text("alpha\n")
    (src / "docs" / "old" / "b.txt").write_text("bravo\n")
    (src / "photo.bin").write_bytes(os.urandom(300_000))
    os.symlink("docs/a.txt", src / "shortcut")
    return src, dst


def test_first_sync_copies_everything_and_leaves_a_browsable_tree(pair: tuple[Path, Path]) -> None:
    src, dst = pair
    result = sync_tree(src, dst)
    assert _tree(dst) == _tree(src)
    assert result.created == 4 and result.bytes_copied == 300_000 + 12
    assert (dst / record.SYNC_NAME).exists()
    assert not [p for p in dst.rglob("*") if p.name.startswith(TEMP_PREFIX)]


def test_creates_modifications_deletions_and_renames_propagate(pair: tuple[Path, Path]) -> None:
    src, dst = pair
    sync_tree(src, dst)
    shutil.rmtree(src / "docs" / "old")
    (src / "docs" / "a.txt").write_text("alpha, edited and longer\n")
    (src / "photo.bin").rename(src / "renamed.bin")
    (src / "new").mkdir()
    (src / "new" / "c.txt").write_text("charlie\n")
    result = sync_tree(src, dst)
    assert _tree(dst) == _tree(src)
    assert not (dst / "docs" / "old").exists()  # really gone, not kept aside
    assert result.renamed == 1 and result.deleted == 1  # the photo moved instead of being copied again
    assert result.bytes_copied == len("alpha, edited and longer\n") + len("charlie\n")


def test_a_second_sync_without_changes_does_nothing(pair: tuple[Path, Path]) -> None:
    src, dst = pair
    sync_tree(src, dst)
    again = sync_tree(src, dst)
    assert (again.created, again.updated, again.deleted, again.metadata, again.bytes_copied) == (0, 0, 0, 0, 0)


def _rot(path: Path) -> None:
    """Flip one byte in place and put size and mtime back: what silent bit rot looks like from above."""
    before = path.stat()
    with open(path, "r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0x5A]))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns


def test_quick_check_does_not_propagate_bit_rot_but_checksum_mode_does(pair: tuple[Path, Path]) -> None:
    src, dst = pair
    sync_tree(src, dst)
    good = (dst / "photo.bin").read_bytes()
    _rot(src / "photo.bin")

    quick = sync_tree(src, dst)
    assert quick.bytes_copied == 0
    assert (dst / "photo.bin").read_bytes() == good  # the mirror still holds the good bytes

    thorough = sync_tree(src, dst, checksum=True)
    assert thorough.updated == 1 and thorough.bytes_copied == 300_000
    assert (dst / "photo.bin").read_bytes() == (src / "photo.bin").read_bytes() != good  # the rot reached the mirror


def test_checksum_mode_records_the_hashes_of_what_it_left(pair: tuple[Path, Path]) -> None:
    src, dst = pair
    sync_tree(src, dst, checksum=True)
    saved = record.load_sync(dst)
    assert saved is not None and saved["checksum"] is True
    assert set(saved["hashes"]) == {"docs/a.txt", "docs/old/b.txt", "photo.bin"}
    import blake3

    assert saved["hashes"]["photo.bin"] == blake3.blake3((src / "photo.bin").read_bytes()).hexdigest()


def test_metadata_hard_links_xattrs_and_specials_are_kept(pair: tuple[Path, Path]) -> None:
    src, dst = pair
    target = src / "docs" / "a.txt"
    os.chmod(target, 0o640)
    os.setxattr(target, "user.origin", b"workbench")
    os.utime(target, ns=(1_600_000_000_000_000_000, 1_600_000_000_123_456_789))
    os.link(src / "photo.bin", src / "docs" / "photo-again.bin")
    os.mkfifo(src / "pipe")
    sync_tree(src, dst)
    copied = (dst / "docs" / "a.txt").stat()
    assert oct(copied.st_mode & 0o7777) == "0o640"
    assert copied.st_mtime_ns == 1_600_000_000_123_456_789
    assert os.getxattr(dst / "docs" / "a.txt", "user.origin") == b"workbench"
    assert (dst / "photo.bin").stat().st_ino == (dst / "docs" / "photo-again.bin").stat().st_ino
    assert (dst / "pipe").is_fifo()
    assert os.readlink(dst / "shortcut") == "docs/a.txt"
    if shutil.which("rsync"):  # an independent judge: rsync -aHX finds nothing left to do
        out = subprocess.run(["rsync", "-aHXni", "--delete", "--exclude", f"/{record.SYNC_NAME}", f"{src}/", f"{dst}/"],
                             capture_output=True, text=True, check=True).stdout
        assert out.strip() == ""


def test_a_metadata_only_change_is_applied_without_copying(pair: tuple[Path, Path]) -> None:
    src, dst = pair
    sync_tree(src, dst)
    os.chmod(src / "photo.bin", 0o600)
    result = sync_tree(src, dst)
    assert result.metadata == 1 and result.bytes_copied == 0
    assert (dst / "photo.bin").stat().st_mode & 0o777 == 0o600


def test_type_changes_replace_the_old_entry(pair: tuple[Path, Path]) -> None:
    src, dst = pair
    sync_tree(src, dst)
    shutil.rmtree(src / "docs")
    (src / "docs").write_text("now a file\n")
    (src / "shortcut").unlink()
    (src / "shortcut").mkdir()
    sync_tree(src, dst)
    assert _tree(dst) == _tree(src)


def test_overlapping_or_missing_folders_are_refused(workspace: Path) -> None:
    (workspace / "src").mkdir()
    with pytest.raises(UsageError, match="does not exist"):
        sync_tree(workspace / "nope", workspace / "dst")
    with pytest.raises(UsageError, match="overlaps"):
        sync_tree(workspace / "src", workspace / "src" / "inner")


def test_leftovers_of_a_killed_write_are_cleaned_up(pair: tuple[Path, Path]) -> None:
    src, dst = pair
    sync_tree(src, dst)
    stale = dst / "docs" / f"{TEMP_PREFIX}a.txt-123-4.tmp"
    stale.write_text("half a copy")
    sync_tree(src, dst)
    assert not stale.exists() and _tree(dst) == _tree(src)


def test_sparse_files_stay_sparse(pair: tuple[Path, Path]) -> None:
    src, dst = pair
    with open(src / "disk.raw", "wb") as handle:
        handle.truncate(8 << 20)
        handle.seek(4 << 20)
        handle.write(b"data in the middle")
    for checksum in (False, True):
        shutil.rmtree(dst, ignore_errors=True)
        sync_tree(src, dst, checksum=checksum)
        copied = (dst / "disk.raw").stat()
        assert (dst / "disk.raw").read_bytes() == (src / "disk.raw").read_bytes()
        assert copied.st_blocks * 512 < 1 << 20  # not 8 MiB of written zeros


def test_a_folder_holding_other_data_is_not_made_a_mirror(pair: tuple[Path, Path]) -> None:
    from datetime import UTC, datetime

    from workbench.strategies.mirror import make

    src, dst = pair
    dst.mkdir()
    (dst / "precious.txt").write_text("not part of any mirror\n")
    with pytest.raises(UsageError, match="already holds files"):
        make("sync").protect(src, dst, now=datetime.now(UTC))
    assert (dst / "precious.txt").exists()


def test_a_scoped_sync_touches_only_the_given_paths(pair: tuple[Path, Path]) -> None:
    src, dst = pair
    sync_tree(src, dst)
    (src / "docs" / "a.txt").write_text("changed, and in scope\n")
    (src / "photo.bin").write_bytes(b"changed, out of scope")
    shutil.rmtree(src / "docs" / "old")
    assert set(scan(src, only=["docs/a.txt", "docs", "docs/old"])) == {"", "docs", "docs/a.txt"}
    result = sync_tree(src, dst, only=["docs/a.txt", "docs/old"])
    assert (dst / "docs" / "a.txt").read_text() == "changed, and in scope\n"
    assert not (dst / "docs" / "old").exists()
    assert (dst / "photo.bin").stat().st_size == 300_000  # not looked at
    assert result.updated == 1 and result.deleted == 1
