"""``dataset profile-from``: a profile with a real folder's shape, none of its contents (no root needed)."""

from __future__ import annotations

import json
import math
import os
import random
from pathlib import Path

import pytest

from workbench.commands.dataset import dataset_profile_from
from workbench.errors import UsageError
from workbench.workload.generate import build
from workbench.workload.profile import load_profile
from workbench.workload.profile_from import exact_count, fit_range, log_uniform_mean
from workbench.workload.shape import shape_of
from workbench.workload.tree_walk import walk


def _file(path: Path, size: int, rng: random.Random, text: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (b"the quick brown fox jumps " * (size // 26 + 1))[:size] if text else rng.randbytes(size)
    path.write_bytes(data)


def make_folder(root: Path) -> Path:
    """About 200 files in folders of several types and depths, and every special kind profile-from keeps."""
    rng = random.Random(7)
    for i in range(90):
        _file(root / f"thesis/{'ab'[i % 2]}/chapter{i}.txt", int(math.exp(rng.uniform(math.log(200), math.log(60e3)))),
              rng, text=True)
    for i in range(40):
        _file(root / f"holiday photos/img{i}.jpg", int(math.exp(rng.uniform(math.log(20e3), math.log(300e3)))),
              rng, text=False)
    for i in range(50):
        _file(root / f"code/pkg{i % 3}/sub{i % 2}/mod{i}.py", rng.randrange(100, 8000), rng, text=True)
    for i in range(6):
        _file(root / f"blob{i}", rng.randrange(1000, 90000), rng, text=False)
    _file(root / "thesis/final.txt", 5000, rng, text=True)
    os.link(root / "thesis/final.txt", root / "thesis/final-copy.txt")
    _file(root / "code/key.bin", 300, rng, text=False)
    os.link(root / "code/key.bin", root / "code/key2.bin")
    os.link(root / "code/key.bin", root / "key3.bin")
    os.symlink("thesis/final.txt", root / "latest")
    os.symlink("/nowhere", root / "code/dangling")
    with open(root / "disk.raw", "wb") as handle:
        handle.truncate(16 << 20)
        handle.seek(1 << 20)
        handle.write(rng.randbytes(8192))
    os.setxattr(root / "thesis/final.txt", "user.origin", b"my secret url")
    os.setxattr(root / "holiday photos/img3.jpg", "user.rating", b"5")
    os.mkfifo(root / "code/pipe")
    (root / "thesis/empty.txt").write_bytes(b"")
    return root


def test_the_generated_tree_has_the_folders_shape_and_none_of_its_names(tmp_path: Path) -> None:
    source = make_folder(tmp_path / "mine")
    written = dataset_profile_from(source, out=tmp_path / "mine.yaml")

    text = written.path.read_text()
    assert "thesis" not in text and "holiday" not in text and "secret" not in text and "chapter" not in text
    profile = load_profile(written.path)  # it validates
    generated = tmp_path / "generated"
    generated.mkdir()
    build(profile, generated)
    home = generated / "home" / "user"
    want, got = written.shape, shape_of(home, walk(home))
    assert want.files == 193 and want.specials["hardlink"] == 5 and want.specials["sparse"] == 1
    assert abs(got.files - want.files) <= 0.05 * want.files, (got.files, want.files)
    assert abs(got.bytes - want.bytes) <= 0.10 * want.bytes, (got.bytes, want.bytes)
    assert abs(got.median_size - want.median_size) <= 0.10 * want.median_size, (got.median_size, want.median_size)
    assert got.specials == want.specials


def test_keep_names_keeps_the_folders_names_and_counts(tmp_path: Path) -> None:
    source = make_folder(tmp_path / "mine")
    written = dataset_profile_from(source, out=tmp_path / "named.yaml", keep_names=True, exclude=["code"])

    generated = tmp_path / "generated"
    generated.mkdir()
    build(load_profile(written.path), generated)
    home = generated / "home" / "user"
    assert (home / "thesis/a/chapter0.txt").is_file() and (home / "holiday photos/img3.jpg").is_file()
    assert not (home / "code").exists()
    got = shape_of(home, walk(home))
    assert got.files == written.shape.files and got.specials == written.shape.specials


def test_profile_from_refuses_to_write_into_the_folder_it_reads(tmp_path: Path) -> None:
    source = make_folder(tmp_path / "mine")
    with pytest.raises(UsageError, match="only ever read"):
        dataset_profile_from(source, out=source / "p.yaml")
    with pytest.raises(UsageError, match="must be a .yaml file"):
        dataset_profile_from(source, out=tmp_path / "p.txt")


@pytest.mark.parametrize(("mean", "median"), [(5000.0, 2000.0), (300.0, 290.0), (12.0, 3.0), (80.0, 100.0)])
def test_a_fitted_size_range_has_the_mean_and_the_generator_makes_the_count(mean: float, median: float) -> None:
    low, high = fit_range(mean, median)
    assert low <= high
    assert abs(log_uniform_mean(low, high) - mean) <= 0.02 * mean + 1
    if mean > median * 1.01 and low > 1:  # a range that would go below one byte keeps the mean only
        assert abs(math.sqrt(low * high) - median) <= 0.05 * median + 1
    budget, count = int(mean * 57), 57
    high = exact_count(budget, count, low, high) if high > low else high
    assert round(budget / log_uniform_mean(low, high)) == count


def test_the_command_line_writes_the_profile_and_says_its_shape(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli.main import main

    source = make_folder(tmp_path / "mine")
    assert main(["dataset", "profile-from", str(source), "--out", str(tmp_path / "p.yaml"), "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["files"] == 193 and said["specials"]["symlink"] == 2 and said["groups"] >= 3
    assert main(["dataset", "profile-from", str(tmp_path / "nowhere"), "--out", str(tmp_path / "q.yaml")]) == 2
    assert "is not a folder" in capsys.readouterr().err
