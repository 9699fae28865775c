"""``workbench dataset``: list the workload profiles, build one onto a disk, apply a day of churn,
make a profile from a real folder's shape."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import guard, workspace
from ..errors import UsageError
from ..units import format_bytes, parse_size
from ..workload import debian
from ..workload.churn import ChurnRecord, churn
from ..workload.generate import DEFAULT_START, BuildRecord, build
from ..workload.profile import Profile, known_profiles, load_profile
from ..workload.profile_from import profile_document, write_profile
from ..workload.shape import Shape, shape_of
from ..workload.tree_walk import source_folder, walk
from .common import moment


@dataclass(frozen=True)
class ProfileInfo:
    name: str
    description: str
    default_data_size: int
    min_data_size: int
    users: list[str]


@dataclass(frozen=True)
class Built:
    record: BuildRecord  # what was generated (also kept in the tree, for churn)
    seconds: float


def dataset_list() -> list[ProfileInfo]:
    """The shipped profiles (datasets/*.yaml), by name."""
    rows = []
    for name in known_profiles():
        profile = load_profile(name)
        rows.append(ProfileInfo(name, profile.description, profile.default_data_size, profile.min_data_size(),
                                list(profile.users)))
    return rows


@dataclass(frozen=True)
class ProfileWritten:
    path: Path  # the profile file
    profile: Profile  # as it loads (so it validates)
    shape: Shape  # of the folder it was made from


def dataset_profile_from(folder: str | Path, *, out: str | Path, keep_names: bool = False,
                         exclude: list[str] | tuple[str, ...] = ()) -> ProfileWritten:
    """Write a profile with the shape of ``folder`` (only read) to ``out``: generated from it, a tree has the
    folder's file count, bytes, size quantiles and special entries, and none of its contents (nor, unless
    ``keep_names``, its names)."""
    source = source_folder(folder)
    path = Path(out).expanduser().resolve()
    if path.suffix not in (".yaml", ".yml"):
        raise UsageError(f"--out '{out}' must be a .yaml file, e.g. my-folder.yaml")
    if path.is_relative_to(source):
        raise UsageError(f"--out '{out}' lies inside '{folder}', which is only ever read: write it elsewhere")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_profile(path, profile_document(source, keep_names=keep_names, exclude=exclude))
    return ProfileWritten(path, load_profile(path), shape_of(source, walk(source, exclude)))


def _quiet(_line: str) -> None:
    """Say nothing."""


def dataset_build(profile: str, *, disk: str | Path | None = None, into: str | Path | None = None,
                  data_size: int | str | None = None, seed: int = 1,
                  start: datetime | str | None = None, say: Callable[[str], None] = _quiet) -> Built:
    """Generate a profile onto a disk's root filesystem (mounted for the duration) or into a workspace folder.

    ``data_size`` is the amount of file data (default: the profile's); the same
    profile, size and seed give byte-identical files. ``start`` is day 0 on the simulated clock.
    A profile with an operating system (``debian``) installs it onto the disk too, from the
    OS cache, which is built first when missing (``say`` hears its progress).
    """
    chosen = load_profile(profile)
    size = chosen.default_data_size if data_size is None else parse_size(data_size)
    chosen.check_data_size(size)
    day0 = DEFAULT_START if start is None else moment(start, option="--start")
    began = time.monotonic()
    system = debian.prepare(chosen, onto_disk=disk is not None, say=say)
    with _tree(disk=disk, into=into, create=True) as root:
        _check_room(root, size, disk=disk, into=into)
        record = build(chosen, root, data_size=size, seed=seed, start=day0)
        debian.install(chosen, system, guard.check_image(disk) if disk is not None else None, root)
    return Built(record, time.monotonic() - began)


def dataset_churn(profile: str, *, day: int, disk: str | Path | None = None, into: str | Path | None = None,
                  hours: str | range | list[int] = "0-23") -> ChurnRecord:
    """Apply the profile's changes of ``day`` (``hours`` of it: '8-12', '14', or a list) to a built dataset."""
    chosen = load_profile(profile)
    wanted = parse_hours(hours) if isinstance(hours, str) else list(hours)
    with _tree(disk=disk, into=into, create=False) as root:
        return churn(chosen, root, day=day, hours=wanted)


def parse_hours(text: str) -> list[int]:
    """'8-12' -> [8, 9, 10, 11, 12]; '14' -> [14] (pure)."""
    try:
        first, _, last = text.partition("-")
        hours = list(range(int(first), int(last or first) + 1))
    except ValueError:
        hours = []
    if not hours or hours[0] < 0 or hours[-1] > 23:
        raise UsageError(f"--hours '{text}' is not an hour range: write it like 8-12, 14 or 0-23")
    return hours


@contextlib.contextmanager
def _tree(*, disk: str | Path | None, into: str | Path | None, create: bool) -> Iterator[Path]:
    """The folder to work in: the disk's mounted root (released on the way out), or a workspace folder."""
    if (disk is None) == (into is None):
        raise UsageError("give one place: a disk image (--disk) or a folder in the workspace (--into)")
    if into is not None:
        folder = workspace.resolve(into)
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            raise UsageError(f"'{into}' is not a folder in the workspace: build a dataset into it first")
        yield folder
        return
    from ..disk.mounting import mounted
    from ..disk.table import read_table

    assert disk is not None  # exactly one of the two was given
    image = guard.check_image(disk)
    roles = {p.role for p in read_table(image).partitions}
    with mounted(image, "root" if "root" in roles else "data") as point:
        yield point


def _check_room(root: Path, data_size: int, *, disk: str | Path | None, into: str | Path | None) -> None:
    """Refuse early when the data cannot fit (metadata and specials need some room too)."""
    vfs = os.statvfs(root)
    free = vfs.f_bavail * vfs.f_frsize
    need = int(data_size * 1.08) + (16 << 20)
    if need > free:
        where = f"the disk {disk}" if disk is not None else f"the folder {into}"
        raise UsageError(
            f"{where} has {format_bytes(free)} free, but --data-size {format_bytes(data_size)} needs about "
            f"{format_bytes(need)}: create a bigger disk ('disk create --size') or pass a smaller --data-size"
        )
