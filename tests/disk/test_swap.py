"""A symlink swapped in after a path was checked cannot redirect a raw write out of the workspace.

The swap is forced through the seam between the check and the open: ``guard.check_target``
is wrapped so that, once it has accepted the path, a component of it (a folder, or the
image itself) is replaced by a symlink to a decoy outside. The negative control runs the
naive open (resolve, check, then ``os.open`` of the path with ``O_NOFOLLOW``) under the
same swap and shows the decoy changing; under ``guard.open_for_write`` it never does.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import blake3
import pytest

from workbench import guard
from workbench.disk.table import read_table
from workbench.errors import SafetyError

PAYLOAD = b"WRITTEN THROUGH THE SWAP"


def _hash(path: Path) -> str:
    return blake3.blake3(path.read_bytes()).hexdigest()


def _naive_open_for_write(path: Path) -> int:
    """What the guard did before: check the path, then open it again by name (only the last part unfollowed)."""
    return os.open(guard.check_target(path), os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)


def _write_through(opener: Callable[[Path], int], path: Path) -> None:
    fd = opener(path)
    try:
        os.pwrite(fd, PAYLOAD, 0)
    finally:
        os.close(fd)


def _swap_folder(workspace: Path, outside: Path) -> Callable[[], None]:
    """Replace the workspace folder ``disks`` by a symlink to the outside folder (an inner component)."""
    def swap() -> None:
        (workspace / "disks").rename(workspace / "disks.moved")
        (workspace / "disks").symlink_to(outside)
    return swap


def _swap_file(workspace: Path, outside: Path) -> Callable[[], None]:
    """Replace the image itself by a symlink to the decoy (the last component)."""
    def swap() -> None:
        (workspace / "disks" / "disk.img").unlink()
        (workspace / "disks" / "disk.img").symlink_to(outside / "disk.img")
    return swap


@pytest.fixture
def layout(workspace: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(a workspace image disks/disk.img, a decoy of the same name in a folder outside the workspace)."""
    (workspace / "disks").mkdir()
    image = workspace / "disks" / "disk.img"
    image.write_bytes(bytes(1 << 16))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "disk.img").write_bytes(os.urandom(1 << 16))
    return image, outside


def _swapping_after_check(monkeypatch: pytest.MonkeyPatch, swap: Callable[[], None]) -> None:
    """Make the next ``guard.check_target`` swap the path once it has accepted it."""
    checked = guard.check_target

    def check_then_swap(path: str | os.PathLike[str]) -> Path:
        real = checked(path)
        swap()
        return real

    monkeypatch.setattr(guard, "check_target", check_then_swap)


@pytest.mark.parametrize("make_swap", [_swap_folder, _swap_file], ids=["folder", "image"])
def test_a_swap_after_the_check_cannot_lead_the_write_out(
        layout: tuple[Path, Path], workspace: Path, monkeypatch: pytest.MonkeyPatch,
        make_swap: Callable[[Path, Path], Callable[[], None]]) -> None:
    image, outside = layout
    decoy = outside / "disk.img"
    before = _hash(decoy)
    _swapping_after_check(monkeypatch, make_swap(workspace, outside))
    with pytest.raises(SafetyError, match="changed after it was checked"):
        _write_through(guard.open_for_write, image)
    assert _hash(decoy) == before


def test_negative_control_the_naive_open_follows_a_swapped_folder(
        layout: tuple[Path, Path], workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the walk, the same swap bends the write out: O_NOFOLLOW guards only the last component."""
    image, outside = layout
    decoy = outside / "disk.img"
    before = _hash(decoy)
    _swapping_after_check(monkeypatch, _swap_folder(workspace, outside))
    _write_through(_naive_open_for_write, image)
    assert _hash(decoy) != before and decoy.read_bytes().startswith(PAYLOAD)


def test_without_a_swap_the_write_lands_in_the_image(layout: tuple[Path, Path]) -> None:
    image, _ = layout
    _write_through(guard.open_for_write, image)
    assert image.read_bytes().startswith(PAYLOAD)


def test_a_fifo_swapped_in_is_refused_without_blocking(
        layout: tuple[Path, Path], workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image, _ = layout

    def swap() -> None:
        image.unlink()
        os.mkfifo(image)

    _swapping_after_check(monkeypatch, swap)
    with pytest.raises(SafetyError, match="no longer a regular image file"):
        guard.open_for_write(image)


def test_a_tool_handed_the_held_file_reads_what_was_checked(
        layout: tuple[Path, Path], workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tool given /proc/self/fd/N reads the checked image even when the path is swapped meanwhile."""
    image, outside = layout
    with guard.held(image) as disk:
        _swap_folder(workspace, outside)()
        assert Path(os.readlink(disk.path)) == workspace / "disks.moved" / "disk.img"
    assert read_table(workspace / "disks.moved" / "disk.img").label == ""  # a blank image: no table
    with pytest.raises(SafetyError, match="outside the workspace"):
        read_table(image)  # now a path through the swapped link: refused at the check


def test_a_folder_moved_out_during_the_walk_is_refused(
        layout: tuple[Path, Path], workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rename, not a symlink: the held folder moves out of the workspace before its last part is opened."""
    image, _ = layout
    opened_last = guard._open_final
    moved = tmp_path / "moved-out"

    def move_then_open(folder: int | None, name: str, flags: int, shown: str | os.PathLike[str]) -> int:
        (workspace / "disks").rename(moved)
        return opened_last(folder, name, flags, shown)

    monkeypatch.setattr(guard, "_open_final", move_then_open)
    with pytest.raises(SafetyError, match="moved out of the workspace"):
        _write_through(guard.open_for_write, image)
    assert (moved / "disk.img").read_bytes() == bytes(1 << 16)
