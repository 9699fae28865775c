"""What a file-level recovery restores, decided from a live tree and the points' listings (pure)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from workbench.experiment.restore_plan import Listing, Take, encrypted, plan_restores, tops
from workbench.experiment.user_view import LiveEntry, LiveTree, RansomNote
from workbench.strategies.base import Listed, RestorePoint

T = 1_767_600_000_000_000_000  # an mtime, ns


def _point(day: int) -> RestorePoint:
    return RestorePoint(f"p{day}", datetime(2026, 1, 5 + day, 1, tzinfo=UTC), "full")


def _file(path: str, content: str, mtime: int = T, size: int = 100) -> Listed:
    return Listed(path, "file", size, mtime, hash=content, hash_name="blake3")


def _live(*entries: tuple[str, str, int] | tuple[str, str], ransom: RansomNote | None = None) -> LiveTree:
    live = {}
    for path, content, *mtime in entries:
        live[path] = LiveEntry("file", 100, mtime[0] if mtime else T, content=content)
    live["home"] = LiveEntry("dir", 0, T)
    return LiveTree(Path("/live"), live, ransom)


class History:
    """Points newest first, each with its listing; content compared by the listings' hashes."""

    def __init__(self, *points: tuple[RestorePoint, list[Listed]]) -> None:
        self.points = [(point, {e.path: e for e in entries}) for point, entries in points]
        self.compared: list[str] = []

    def sources(self) -> Iterator[tuple[RestorePoint, Listing]]:
        yield from self.points

    def differs(self, live: LiveTree) -> object:
        def check(point: RestorePoint, listing: Listing, names: Mapping[str, str]) -> set[str]:
            self.compared.append(point.id)
            return {name for name, path in names.items() if listing[name].hash != live.entries[path].content}
        return check


def _plan(live: LiveTree, history: History) -> list[Take]:
    return plan_restores(live, history.sources, history.differs(live))  # type: ignore[arg-type]


def _by_why(plan: list[Take]) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {take.why: (take.point.id, take.paths) for take in plan}


def test_nothing_is_restored_when_the_live_tree_agrees_with_every_point() -> None:
    live = _live(("home/a", "A"), ("home/b", "B"))
    history = History((_point(2), [_file("home/a", "A"), _file("home/b", "B")]),
                      (_point(1), [_file("home/a", "A"), _file("home/b", "B")]))
    assert _plan(live, history) == []
    assert history.compared == ["p2", "p1"], "a careful user looks back through every point for rot"


def test_missing_files_come_from_the_newest_point_that_shows_them_a_folder_as_one_path() -> None:
    live = _live(("home/a", "A"))
    history = History((_point(3), [_file("home/a", "A")]),  # after the deletion: shows nothing missing
                      (_point(2), [_file("home/a", "A"), Listed("home/docs", "dir", 0, T),
                                   _file("home/docs/x", "X"), _file("home/docs/y", "Y"), _file("home/old", "O")]),
                      (_point(1), [_file("home/a", "A"), _file("home/older", "OO")]))
    assert _by_why(_plan(live, history)) == {"missing": ("p2", ("home/docs", "home/old"))}, \
        "the point's deliberately deleted files come back too; older points are not searched for more"


def test_rot_that_reached_the_newest_point_is_taken_from_the_first_older_point_that_differs() -> None:
    live = _live(("home/photo", "ROTTEN"), ("home/b", "B"))
    history = History((_point(3), [_file("home/photo", "ROTTEN"), _file("home/b", "B")]),
                      (_point(2), [_file("home/photo", "GOOD"), _file("home/b", "B")]),
                      (_point(1), [_file("home/photo", "GOOD"), _file("home/b", "B")]))
    assert _by_why(_plan(live, history)) == {"rot": ("p2", ("home/photo",))}


def test_a_file_changed_since_the_point_is_the_users_newer_version_not_rot() -> None:
    live = _live(("home/notes", "EDITED", T + 10**9))
    history = History((_point(2), [_file("home/notes", "OLD")]), (_point(1), [_file("home/notes", "OLD")]))
    assert _plan(live, history) == []
    assert history.compared == [], "the listing shows another mtime: nothing to compare"


def test_the_search_stops_at_a_point_that_shows_the_file_modified() -> None:
    live = _live(("home/doc", "ROTTEN"))
    history = History((_point(3), [_file("home/doc", "ROTTEN")]),
                      (_point(2), [_file("home/doc", "EARLIER", T - 10**9)]),  # written since: not the same file
                      (_point(1), [_file("home/doc", "GOOD")]))
    assert _plan(live, history) == []


def test_a_renamed_file_is_followed_to_its_old_name_and_its_good_copy_takes_the_live_name() -> None:
    live = _live(("home/new-name.jpg", "ROTTEN"), ("home/b", "B"))
    history = History((_point(3), [_file("home/new-name.jpg", "ROTTEN"), _file("home/b", "B")]),
                      (_point(2), [_file("home/old-name.jpg", "GOOD"), _file("home/b", "B")]))
    [take] = _plan(live, history)
    assert (take.why, take.point.id, take.paths) == ("rot", "p2", ("home/old-name.jpg",))
    assert take.moves == (("home/old-name.jpg", "home/new-name.jpg"),)


def test_a_renamed_file_that_did_not_rot_does_not_come_back_under_its_old_name() -> None:
    live = _live(("home/new-name.jpg", "SAME"))
    history = History((_point(2), [_file("home/old-name.jpg", "SAME")]))
    assert _plan(live, history) == []


def test_encrypted_files_come_from_the_newest_point_holding_them_and_the_rest_is_looked_for_further_back() -> None:
    note = "home/HOW-TO-GET-YOUR-FILES-BACK.txt"
    ransom = RansomNote(notes=(note,), since_ns=T + 5 * 10**9, locked=("home/a.locked",))
    live = _live(("home/a.locked", "CIPHER", T + 5 * 10**9), (note, "NOTE", T + 5 * 10**9), ransom=ransom)
    history = History((_point(3), [_file("home/a", "A")]),
                      (_point(2), [_file("home/a", "A"), _file("home/deleted-before", "D")]))
    assert encrypted(live) == ["home/a"]
    assert _by_why(_plan(live, history)) == {"encrypted": ("p3", ("home/a",)),
                                             "missing": ("p2", ("home/deleted-before",))}


def test_an_unreadable_file_comes_from_the_newest_point_whatever_its_metadata() -> None:
    live = _live(("home/a", "A"))
    live.entries["home/bad"] = LiveEntry("file", 100, T + 1, content=None, read_error="Input/output error")  # type: ignore[index]
    history = History((_point(2), [_file("home/a", "A"), _file("home/bad", "GOOD")]))
    assert _by_why(_plan(live, history)) == {"unreadable": ("p2", ("home/bad",))}


def test_tops_keeps_a_folder_for_what_lies_below_it() -> None:
    assert tops(["a/b/c", "a/b", "a/bc", "d"]) == ["a/b", "a/bc", "d"]
