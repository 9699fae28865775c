"""The judge as a pure function over manifests: one category per entry, exact byte totals."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from workbench.errors import UsageError
from workbench.truth.judge import CATEGORIES, compare
from workbench.truth.manifest import Manifest, ManifestEntry

FILE, DIR, LINK = 0o100644, 0o40755, 0o120777


def entry(path: str, kind: str = "file", **fields: object) -> ManifestEntry:
    base: dict[str, Any] = {"size": 10, "mode": FILE, "uid": 1000, "gid": 1000, "mtime_ns": 1_000, "hash": f"h-{path}"}
    if kind == "dir":
        base.update(size=0, mode=DIR, hash=None)
    if kind == "symlink":
        base.update(size=3, mode=LINK, hash=None, target="abc")
    base.update(fields)
    return ManifestEntry(path=path, kind=kind, **base)


def manifest(*entries: ManifestEntry) -> Manifest:
    return Manifest({e.path: e for e in entries})


EXPECTED = manifest(
    entry("docs", "dir"),
    entry("docs/a.txt", size=100),
    entry("docs/b.txt", size=200),
    entry("docs/c.txt", size=300),
    entry("docs/d.txt", size=400),
    entry("docs/link", "symlink"),
    entry("docs/e.txt", size=500),
)


def test_each_entry_lands_in_exactly_one_category_with_byte_totals() -> None:
    e = EXPECTED.entries
    actual = manifest(
        replace(e["docs"], mtime_ns=99),  # folder mtime: ignored by default
        e["docs/a.txt"],
        replace(e["docs/b.txt"], hash="other"),  # corrupted
        replace(e["docs/c.txt"], mode=0o100600),  # metadata
        # docs/d.txt missing
        replace(e["docs/link"], target="xyz"),  # corrupted symlink
        replace(e["docs/e.txt"], mtime_ns=2_000, uid=0),
        entry("docs/new.txt", size=7),  # unexpected
    )
    result = compare(EXPECTED, actual)
    assert result.counts() == {"intact": 2, "missing": 1, "corrupted": 2, "metadata": 2, "unexpected": 1}
    assert result.bytes_by_category() == {"intact": 100, "missing": 400, "corrupted": 200, "metadata": 800,
                                          "unexpected": 7}
    assert len(result.verdicts) == len(EXPECTED.entries) + 1
    by_path = {v.path: v for v in result.verdicts}
    assert "mode 0644 -> 0600" in by_path["docs/c.txt"].detail
    assert "owner" in by_path["docs/e.txt"].detail and "mtime" in by_path["docs/e.txt"].detail
    assert "xyz" in by_path["docs/link"].detail
    assert not result.ok
    assert result.to_json()["counts"]["missing"] == 1


def test_identical_is_ok_and_strict_mode_sees_folder_mtimes() -> None:
    assert compare(EXPECTED, EXPECTED).ok
    moved = manifest(*[replace(x, mtime_ns=5) if x.kind == "dir" else x for x in EXPECTED.entries.values()])
    assert compare(EXPECTED, moved).ok
    strict = compare(EXPECTED, moved, ignore=set())
    assert strict.counts()["metadata"] == 1


def test_content_wins_over_metadata_and_kind_change_is_corruption() -> None:
    e = EXPECTED.entries
    actual = manifest(*EXPECTED.entries.values())
    actual.entries["docs/a.txt"] = replace(e["docs/a.txt"], hash="x", mode=0o100600)
    actual.entries["docs/b.txt"] = entry("docs/b.txt", "symlink")
    result = compare(EXPECTED, actual)
    assert result.counts()["corrupted"] == 2 and result.counts()["metadata"] == 0


def test_size_change_is_corruption_even_with_equal_hash_field() -> None:
    actual = manifest(*EXPECTED.entries.values())
    actual.entries["docs/a.txt"] = replace(EXPECTED.entries["docs/a.txt"], size=101)
    assert compare(EXPECTED, actual).counts()["corrupted"] == 1


def test_hard_links_compare_by_members_not_numbers() -> None:
    linked = manifest(entry("a", link_group=1, hash="h"), entry("b", link_group=1, hash="h"), entry("c", hash="hc"))
    renumbered = manifest(entry("a", link_group=7, hash="h"), entry("b", link_group=7, hash="h"), entry("c", hash="hc"))
    assert compare(linked, renumbered).ok
    split = manifest(entry("a", hash="h"), entry("b", hash="h"), entry("c", hash="hc"))
    result = compare(linked, split)
    assert result.counts()["metadata"] == 2
    assert all("hard links" in v.detail for v in result.of("metadata"))


def test_xattrs_and_sparseness_are_metadata() -> None:
    want = manifest(entry("a", xattrs={"user.x": "01"}), entry("b", sparse=True))
    got = manifest(entry("a"), entry("b"))
    result = compare(want, got)
    assert result.counts()["metadata"] == 2
    assert compare(want, got, ignore={"xattrs", "sparse"}).ok


def test_history_turns_old_versions_into_stale() -> None:
    day1 = manifest(entry("a", hash="v1"), entry("b", hash="b1"))
    day2 = manifest(entry("a", hash="v2"), entry("b", hash="b2"))
    restored = manifest(entry("a", hash="v1"), entry("b", hash="garbage"))
    plain = compare(day2, restored)
    assert "stale" not in plain.counts() and plain.counts()["corrupted"] == 2
    judged = compare(day2, restored, history=[day1])
    assert judged.counts()["stale"] == 1 and judged.counts()["corrupted"] == 1
    assert judged.categories == (*CATEGORIES, "stale")
    assert judged.bytes_by_category()["stale"] == 10


def test_unknown_ignore_name_is_refused() -> None:
    with pytest.raises(UsageError, match="colour"):
        compare(EXPECTED, EXPECTED, ignore={"colour"})
