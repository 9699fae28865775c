"""A user's folder as the workload, without disks: the copy, the exclude patterns, the churn, the options."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workbench.cli.main import main
from workbench.commands.compare import compare
from workbench.commands.own_workload import TREE_PROFILE
from workbench.errors import UsageError
from workbench.experiment.estimate import estimate, refuse_when_short, space_needed
from workbench.results.redact import MARK, Redactor, redact_cells
from workbench.truth.manifest import take_manifest
from workbench.workload.churn import churn
from workbench.workload.generate import build
from workbench.workload.profile import load_profile
from workbench.workload.tree_copy import copy_tree
from workbench.workload.tree_source import churn_counts, parse_churn_rate, write_tree_profile
from workbench.workload.tree_walk import excluded


def make_folder(root: Path) -> Path:
    (root / "docs/deep").mkdir(parents=True)
    (root / "docs/report.txt").write_text("report " * 500)
    os.chmod(root / "docs/report.txt", 0o600)
    os.link(root / "docs/report.txt", root / "docs/deep/report-link.txt")
    with open(root / "docs/vm.raw", "wb") as handle:
        handle.truncate(4 << 20)
        handle.seek(2 << 20)
        handle.write(b"x" * 5000)
    os.setxattr(root / "docs/report.txt", "user.tag", b"blue")
    os.symlink("docs/report.txt", root / "latest")
    os.mkfifo(root / "docs/pipe")
    for i in range(30):
        (root / "docs/deep" / f"note{i:02d}.md").write_text(f"note {i}\n" * (i + 1))
    (root / "cache").mkdir()
    (root / "cache/big.iso").write_bytes(b"\1" * 9000)
    os.utime(root / "docs/report.txt", ns=(1_700_000_000 * 10**9, 1_600_000_000 * 10**9))
    return root


def test_the_copy_keeps_links_holes_xattrs_modes_and_times_and_never_writes_the_source(tmp_path: Path) -> None:
    source = make_folder(tmp_path / "mine")
    before = take_manifest(source)
    dest = tmp_path / "copy"
    dest.mkdir()

    record = copy_tree(source, dest, exclude=["cache"])

    assert take_manifest(source).digest() == before.digest()
    copied = take_manifest(dest)
    expected = {path: entry for path, entry in before.entries.items() if not path.startswith("cache")}
    assert copied.entries == expected  # hash, mode, owner, mtime, xattrs, link group and sparseness
    assert copied.entries["docs/vm.raw"].sparse and os.stat(dest / "docs/vm.raw").st_blocks * 512 < 1 << 20
    assert os.stat(dest / "docs/report.txt").st_ino == os.stat(dest / "docs/deep/report-link.txt").st_ino
    assert record.files == 33 and record.bytes_copied < 64 << 10
    assert record.special_paths["hardlink"] == ["docs/report.txt"]  # the second name in walk order


@pytest.mark.parametrize("path,patterns,left_out", [
    ("a/b/film.iso", ["*.iso"], True), ("a/.cache", [".cache"], True), ("a/.cache/x", [".cache"], False),
    ("Videos/raw", ["Videos/raw"], True), ("x/Videos/raw", ["Videos/raw"], False), ("build/o.o", ["build/*"], True),
    ("notes.txt", ["*.iso", "tmp"], False),
])
def test_exclude_patterns_match_names_anywhere_or_paths_from_the_top(path: str, patterns: list[str],
                                                                     left_out: bool) -> None:
    assert excluded(path, patterns) is left_out


def test_churn_rates_and_their_split_over_the_kinds_of_change() -> None:
    assert parse_churn_rate("1%/day") == 0.01 and parse_churn_rate("2.5%") == 0.025 and parse_churn_rate("0") == 0
    for bad in ("1/day", "150%/day", "lots"):
        with pytest.raises(UsageError):
            parse_churn_rate(bad)
    assert churn_counts(0.01, 1000) == [("modify", 4), ("append", 2), ("create", 2), ("delete", 1), ("rename", 1)]
    assert sum(count for _, count in churn_counts(0.03, 1000)) == 30
    assert churn_counts(0.01, 10) == [("modify", 1)] and churn_counts(0.0, 10) == []


def test_churn_on_a_tree_is_the_same_for_a_seed_and_does_what_it_planned(tmp_path: Path, workspace: Path) -> None:
    source = make_folder(tmp_path / "mine")
    profile = load_profile(write_tree_profile(tmp_path / "tree.yaml", source, churn="20%/day"))
    trees = []
    for name, slices in (("one", [range(24)]), ("two", [range(0, 12), range(12, 24)])):
        root = tmp_path / name
        root.mkdir()
        build(profile, root, seed=3)
        changes = sum(churn(profile, root, day=1, hours=hours).changed for hours in slices)
        trees.append(take_manifest(root))
        assert changes == sum(count for _, count in churn_counts(0.2, profile.tree.files))
    assert trees[0].digest() == trees[1].digest()
    assert take_manifest(tmp_path / "one" / "home" / "user").digest() != take_manifest(source).digest()


def test_a_tree_profile_refuses_generated_parts_and_a_data_size(tmp_path: Path, workspace: Path) -> None:
    source = make_folder(tmp_path / "mine")
    path = write_tree_profile(tmp_path / "tree.yaml", source)
    profile = load_profile(path)
    assert profile.home_dirs == ["home/user"] and profile.tree is not None and profile.tree.files == 34
    with pytest.raises(UsageError, match="leave out --data-size"):
        profile.check_data_size(profile.default_data_size + 1)
    path.write_text(path.read_text() + "groups: []\n")
    with pytest.raises(UsageError, match="cannot go with 'tree'"):
        load_profile(path)
    with pytest.raises(UsageError, match="holds the workspace"):
        write_tree_profile(tmp_path / "t.yaml", workspace.parent)


@pytest.mark.parametrize("options,message", [
    ({"exclude": ["*.iso"]}, "--exclude goes with --tree DIR or --disk IMG"),
    ({"redact_names": True}, "--redact-names goes with --tree"),
    ({"tree": "mine", "profile": "laptop"}, "not both"),
    ({"tree": "mine", "data_size": "8M"}, "leave out --data-size"),
    ({"tree": "no-such-folder"}, "is not a folder"),
    ({"tree": "mine", "churn": "often"}, "not a daily share"),
])
def test_compare_checks_the_tree_options_first(options: dict, message: str, tmp_path: Path, workspace: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    make_folder(tmp_path / "mine")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=message):
        compare(out=tmp_path / "out", dry_run=True, **options)


def test_a_dry_run_plans_the_cells_and_their_cost_and_runs_none(tmp_path: Path, workspace: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    source = make_folder(tmp_path / "mine")
    result = compare(out=tmp_path / "out", tree=source, strategies="backup,mirror-sync", scenarios="deletion",
                     dry_run=True)
    assert result.rows == [] and not (tmp_path / "out" / "cells").exists()
    assert result.estimate is not None and result.estimate.cells == ("backup__deletion__r1",
                                                                     "mirror-sync__deletion__r1")
    assert (tmp_path / "out" / TREE_PROFILE).is_file()
    assert main(["compare", "--tree", str(source), "--scenarios", "deletion", "--strategies", "backup",
                 "--dry-run", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "backup__deletion__r1" in out and "estimated time" in out and "workspace space needed" in out

    short = estimate(["a", "b"], 8 << 30, workspace)
    assert short.space_bytes == space_needed(8 << 30) and short.total_s == 2 * short.cell_s
    object.__setattr__(short, "free_bytes", short.space_bytes - 1)
    with pytest.raises(UsageError, match="free, but these cells need about"):
        refuse_when_short(short, workspace)


def test_redacted_details_name_no_file_of_the_folder_and_keep_what_identifies_the_cell(tmp_path: Path) -> None:
    cells = tmp_path / "cells"
    cells.mkdir()
    details = {"cell": "backup__deletion__r1", "phases_s": {"build": 1.0},
               "faults": [{"files": ["home/user/My Thesis/final draft.doc"],
                           "details": {"folder": "home/user/My Thesis"}}],
               "verdicts": [{"path": "home/user/My Thesis/final draft.doc", "category": "missing"}],
               "traceback": "FileNotFoundError: 'home/user/My Thesis/final draft.doc'"}
    (cells / "backup__deletion__r1.json").write_text(json.dumps(details))
    redactor = Redactor({"My Thesis", "final draft.doc"}, b"k" * 32)

    assert redact_cells(cells, redactor) == 1 and redact_cells(cells, redactor) == 0  # once only
    text = (cells / "backup__deletion__r1.json").read_text()
    assert "Thesis" not in text and "draft" not in text and f'"{MARK}": true' in text
    token = redactor.token("final draft.doc")
    assert token.endswith(".doc") and token == Redactor(["final draft.doc"], b"k" * 32).token("final draft.doc")
    assert token != Redactor(["final draft.doc"], b"j" * 32).token("final draft.doc")
    assert f"home/user/{redactor.token('My Thesis')}/{token}" in text and "backup__deletion__r1" in text
