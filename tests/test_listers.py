"""Each of our engines as a ``Lister``: a point's listing shows the tree it protected, and
``restore_paths`` brings back only the paths asked for, with their metadata, by the no-data-loss rule."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import blake3
import pytest

from workbench.disk.create import create_disk
from workbench.disk.mounting import mounted
from workbench.errors import UsageError
from workbench.strategies.backup.engine import BackupStrategy
from workbench.strategies.base import Listed, Lister
from workbench.strategies.clone import CloneStrategy
from workbench.strategies.image.engine import ImageStrategy
from workbench.strategies.mirror import make

pytestmark = pytest.mark.root

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MTIME_NS = 1_764_000_000_123_456_789


def _write_tree(root: Path) -> None:
    """The tree under ``data/``: text, random bytes, a folder, a symlink, a hard link, a sparse file, an xattr."""
    rng = random.Random(7)
    docs = root / "data" / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.txt").write_text("the notes\n" * 300)
    (docs / "b.bin").write_bytes(rng.randbytes(200_000))
    os.chmod(docs / "b.bin", 0o600)
    (docs / "sub" / "c.txt").write_text("deep down\n")
    os.setxattr(docs / "a.txt", "user.origin", b"lister-test")
    os.link(docs / "a.txt", docs / "hard.txt")
    os.symlink("docs/a.txt", root / "data" / "link")
    with open(root / "data" / "sparse.raw", "wb") as handle:
        handle.truncate(4 << 20)
        handle.seek(1 << 20)
        handle.write(rng.randbytes(4096))
    for path in sorted([root / "data", *(root / "data").rglob("*")], key=lambda p: -len(p.parts)):
        os.utime(path, ns=(MTIME_NS, MTIME_NS), follow_symlinks=False)


@dataclass
class Protected:
    """An engine that protected the tree: where its target is, and its one point."""

    name: str
    engine: Lister
    target: Path
    point_id: str
    source_root: Path  # where the protected tree can be read (for disks: a copy written alongside)


def _tree_engine(make_engine: Callable[[], object], target_name: str) -> Callable[[Path], Protected]:
    def protect(workspace: Path) -> Protected:
        source = workspace / "src"
        source.mkdir()
        _write_tree(source)
        engine = make_engine()
        point = engine.protect(source, workspace / target_name, now=NOW)  # type: ignore[attr-defined]
        return Protected("", engine, workspace / target_name, point.id, source)  # type: ignore[arg-type]

    return protect


def _disk_engine(make_engine: Callable[[], object], target_name: str) -> Callable[[Path], Protected]:
    def protect(workspace: Path) -> Protected:
        disk = create_disk(workspace / "pc.img", "system", 64 << 20)
        with mounted(disk) as root:
            _write_tree(root)
        reference = workspace / "src"
        reference.mkdir()
        _write_tree(reference)
        engine = make_engine()
        point = engine.protect(disk, workspace / target_name, now=NOW)  # type: ignore[attr-defined]
        return Protected("", engine, workspace / target_name, point.id, reference)  # type: ignore[arg-type]

    return protect


ENGINES = {
    "backup": _tree_engine(BackupStrategy, "repo"),
    "mirror-sync": _tree_engine(lambda: make("sync"), "mirror"),
    "mirror-two-way": _tree_engine(lambda: make("two-way"), "mirror"),
    "raid1": _tree_engine(lambda: make("raid1", half_bytes=128 << 20), "pair"),
    "image": _disk_engine(ImageStrategy, "images"),
    "clone": _disk_engine(CloneStrategy, "clone.img"),
}


@pytest.fixture(params=sorted(ENGINES))
def protected(request: pytest.FixtureRequest, workspace: Path) -> Protected:
    protected = ENGINES[request.param](workspace)
    protected.name = request.param
    return protected


def _data(listing: list[Listed]) -> dict[str, Listed]:
    return {e.path: e for e in listing if e.path == "data" or e.path.startswith("data/")}


def _kind(path: Path) -> str:
    if path.is_symlink():
        return "symlink"
    return "dir" if path.is_dir() else "file"


def test_every_engine_fits_the_lister_protocol(protected: Protected) -> None:
    assert isinstance(protected.engine, Lister)


def test_the_listing_shows_the_protected_tree(protected: Protected) -> None:
    listed = _data(protected.engine.listing(protected.target, protected.point_id))
    source = protected.source_root
    want = {str(p.relative_to(source)) for p in (source / "data").rglob("*")} | {"data"}
    assert set(listed) == want
    for path, entry in listed.items():
        st = (source / path).lstat()
        assert entry.kind == _kind(source / path), path
        if entry.kind != "dir":  # a two-way sync, like Unison, does not keep folders' times
            assert entry.mtime_ns == MTIME_NS, path
        if entry.kind == "file":
            assert entry.size == st.st_size, path
            if entry.hash is not None:  # kept by the engine: it must be the content's
                assert entry.hash_name == "blake3"
                assert entry.hash == blake3.blake3((source / path).read_bytes()).hexdigest(), path


def test_only_the_asked_paths_come_back_with_their_metadata(protected: Protected, workspace: Path) -> None:
    out = workspace / "out"
    report = protected.engine.restore_paths(protected.target, protected.point_id, ["data/docs/sub", "data/docs/b.bin",
                                            "data/sparse.raw", "data/docs/sub/c.txt"], out)
    got = {str(p.relative_to(out)) for p in out.rglob("*")}
    assert got == {"data", "data/docs", "data/docs/sub", "data/docs/sub/c.txt", "data/docs/b.bin", "data/sparse.raw"}
    assert report.files >= 3
    source = protected.source_root
    for name in ("data/docs/sub/c.txt", "data/docs/b.bin", "data/sparse.raw"):
        here, there = (out / name).lstat(), (source / name).lstat()
        assert (out / name).read_bytes() == (source / name).read_bytes(), name
        assert (here.st_mode, here.st_mtime_ns) == (there.st_mode, there.st_mtime_ns), name
    assert (out / "data/sparse.raw").stat().st_blocks * 512 < 1 << 20, "the holes stay holes"


def test_a_hard_link_pair_comes_back_linked_with_its_xattr(protected: Protected, workspace: Path) -> None:
    out = workspace / "out"
    protected.engine.restore_paths(protected.target, protected.point_id, ["data/docs/a.txt", "data/docs/hard.txt",
                                   "data/link"], out)
    if protected.name != "mirror-two-way":  # a two-way sync, like Unison, keeps a hard link's names apart
        assert os.path.samefile(out / "data/docs/a.txt", out / "data/docs/hard.txt")
    assert os.getxattr(out / "data/docs/a.txt", "user.origin") == b"lister-test"
    assert os.readlink(out / "data/link") == "docs/a.txt"


def test_a_destination_with_data_needs_force_and_force_replaces_only_those_paths(protected: Protected,
                                                                                   workspace: Path) -> None:
    live = workspace / "live"
    (live / "data" / "docs").mkdir(parents=True)
    (live / "data" / "docs" / "b.bin").write_bytes(b"rotten")
    (live / "data" / "mine.txt").write_text("written after the point\n")
    with pytest.raises(UsageError, match="not empty"):
        protected.engine.restore_paths(protected.target, protected.point_id, ["data/docs/b.bin"], live)
    assert (live / "data" / "docs" / "b.bin").read_bytes() == b"rotten", "a refused restore wrote nothing"
    protected.engine.restore_paths(protected.target, protected.point_id, ["data/docs/b.bin"], live, force=True)
    assert (live / "data/docs/b.bin").read_bytes() == (protected.source_root / "data/docs/b.bin").read_bytes()
    assert (live / "data" / "mine.txt").read_text() == "written after the point\n"
    assert sorted(p.name for p in (live / "data" / "docs").iterdir()) == ["b.bin"]


def test_a_path_the_point_lacks_is_refused(protected: Protected, workspace: Path) -> None:
    with pytest.raises(UsageError, match="not in"):
        protected.engine.restore_paths(protected.target, protected.point_id, ["data/never-there.txt"],
                                       workspace / "out")
