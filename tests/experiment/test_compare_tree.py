"""``compare --tree``: a folder of the user's own is the workload, copied faithfully and never written to."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workbench.commands.compare import compare
from workbench.commands.own_workload import TREE_PROFILE
from workbench.truth.manifest import take_manifest


def make_folder(root: Path) -> Path:
    """A user's folder: one subfolder (what the deletion takes) holding a hard link, a sparse file and an xattr."""
    docs = root / "papers"
    docs.mkdir(parents=True)
    (docs / "thesis.txt").write_text("chapter one\n" * 400)
    os.chmod(docs / "thesis.txt", 0o640)
    os.link(docs / "thesis.txt", docs / "thesis-final.txt")
    with open(docs / "disk.raw", "wb") as handle:
        handle.truncate(8 << 20)
        handle.seek(4 << 20)
        handle.write(b"data in the middle" * 100)
    (docs / "notes.md").write_text("# notes\n")
    os.setxattr(docs / "notes.md", "user.origin", b"https://example.org")
    (root / "todo.txt").write_text("buy milk\n")
    (root / "big.iso").write_bytes(b"\0" * 4096)  # left out by --exclude
    return root


@pytest.mark.root
def test_compare_tree_copies_the_folder_and_the_backup_brings_the_deleted_files_back(workspace: Path,
                                                                                    tmp_path: Path) -> None:
    source = make_folder(tmp_path / "mine")
    before = take_manifest(source).digest()

    result = compare(out=tmp_path / "results", tree=source, exclude=["*.iso"], churn="0",
                     strategies="backup,mirror-sync", scenarios="deletion", report=False, quiet=True)

    assert take_manifest(source).digest() == before, "the source folder was written to"
    rows = {row["strategy"]: row for row in result.rows}
    assert all(row["status"] == "ok" for row in rows.values()), [r["error"] for r in rows.values()]
    assert (result.out / TREE_PROFILE).is_file() and rows["backup"]["profile"].endswith(TREE_PROFILE)
    details = {name: json.loads((result.out / "cells" / f"{name}__deletion__r1.json").read_text())
               for name in rows}
    deleted = {path for record in details["backup"]["faults"] for path in record["files"]}
    papers = {f"home/user/papers/{name}" for name in ("thesis.txt", "thesis-final.txt", "disk.raw", "notes.md")}
    assert deleted == papers  # the one subfolder; the excluded file was never copied
    not_intact = {v["path"]: v for v in details["backup"]["verdicts"]}
    assert not deleted & set(not_intact), [not_intact[p] for p in deleted & set(not_intact)]  # content and metadata
    missing = {v["path"] for v in details["mirror-sync"]["verdicts"] if v["category"] == "missing"}
    assert deleted <= missing
    assert rows["backup"]["files_missing"] == 0 and rows["mirror-sync"]["files_missing"] >= len(deleted)
