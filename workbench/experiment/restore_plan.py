"""What a file-level recovery brings back, and from which point: decided from what the user sees (pure).

The user compares the live tree (``user_view.LiveTree``) with the listings of the points they
trust, newest first, and takes back only what is missing or damaged, path by path:

1. **encrypted**: a file renamed ``NAME.locked`` (and no ``NAME`` beside it), or one written since
   the ransom note appeared (ransomware that could not rename it): ``NAME`` from the newest point
   that holds it;
2. **missing**: the newest point whose listing shows entries the live tree lacks (beyond those of
   step 1) gives all of them, a missing folder as one path. Files the users deleted on purpose
   since that point come back too: that is what restoring from a listing gives;
3. **unreadable**: a file that fails to read (an I/O error) from the newest point that holds it;
4. **rot**: a file unchanged to the eye (the same kind, size and mtime as the listing shows) whose
   content is not the point's. When the newest point's copy matches the live one, the user looks
   further back, point by point, for as long as the listing still shows the file unchanged: the
   first point that holds other content under the same size and mtime holds the good copy, since
   a content change without a metadata change is the mark of rot. A file renamed since is
   followed: where its path is not in a point, the one file of that point with the same size and
   mtime whose name the live tree no longer has is it, under its old name (as rsync and Unison
   spot renames). Its good copy is restored and moved to the live name.

How content is compared (the listing's hash, or reading the point's copy) is the caller's
``ContentCheck``; which points are trusted, and in what order, is the caller's ``sources``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..faults.ransomware import EXTENSION, NOTE_NAME
from ..strategies.base import Listed, RestorePoint
from .user_view import LiveTree

#: The reasons a path is restored, in the order they are looked for.
WHY = ("encrypted", "missing", "unreadable", "rot")

Listing = Mapping[str, Listed]
#: (point, its listing) for each point the user trusts, newest first; called again for each step.
Sources = Callable[[], Iterator[tuple[RestorePoint, Listing]]]
#: Given {name in the point: live name} of files the listing shows unchanged to the eye, the names
#: whose content in the point is not the live file's.
ContentCheck = Callable[[RestorePoint, Listing, Mapping[str, str]], set[str]]


@dataclass(frozen=True)
class Take:
    """Paths to bring back from one point, and why."""

    point: RestorePoint
    why: str  # one of WHY
    paths: tuple[str, ...]  # as the point names them
    moves: tuple[tuple[str, str], ...] = ()  # (path in the point, live name): restored, then renamed

    def to_json(self) -> dict[str, object]:
        return {"point": self.point.id, "point_time": self.point.time.isoformat(), "why": self.why,
                "paths": list(self.paths), "moves": [list(move) for move in self.moves]}


def plan_restores(live: LiveTree, sources: Sources, differs: ContentCheck) -> list[Take]:
    """Every path to restore, grouped by point and reason, in the order of ``WHY``."""
    chosen: dict[str, tuple[RestorePoint, str]] = {}
    moves: dict[str, str] = {}
    for name in encrypted(live):
        _from_newest_holding(name, "encrypted", sources, chosen)
    _missing(live, sources, chosen)
    for name in live.unreadable():
        if name not in chosen:
            _from_newest_holding(name, "unreadable", sources, chosen)
    _rot(live, sources, differs, chosen, moves)
    return _grouped(chosen, moves)


def encrypted(live: LiveTree) -> list[str]:
    """The names ransomware took: ``NAME`` of each ``NAME.locked`` (with no ``NAME`` left), and the
    files written since its earliest note (the ones it could not rename)."""
    if live.ransom is None:
        return []
    renamed = {name.removesuffix(EXTENSION) for name in live.ransom.locked} - live.entries.keys()
    since = {name for name, entry in live.entries.items() if entry.kind == "file" and not is_ransom_name(name)
             and entry.mtime_ns >= live.ransom.since_ns}
    return sorted(renamed | since)


def is_ransom_name(path: str) -> bool:
    """A ransom note, or a file ransomware renamed."""
    return Path(path).name == NOTE_NAME or path.endswith(EXTENSION)


def shows_ransomware(listing: Listing) -> bool:
    return any(is_ransom_name(path) for path in listing)


def _from_newest_holding(name: str, why: str, sources: Sources, chosen: dict[str, tuple[RestorePoint, str]]) -> None:
    for point, listing in sources():
        if name in listing:
            chosen[name] = (point, why)
            return


def _missing(live: LiveTree, sources: Sources, chosen: dict[str, tuple[RestorePoint, str]]) -> None:
    for point, listing in sources():
        gone = [path for path in listing if path not in live.entries and path not in chosen
                and not is_ransom_name(path)]
        if gone:
            for path in tops(gone):
                chosen[path] = (point, "missing")
            return


def _rot(live: LiveTree, sources: Sources, differs: ContentCheck, chosen: dict[str, tuple[RestorePoint, str]],
         moves: dict[str, str]) -> None:
    """The rot search; ``moves`` gets old name -> live name for renamed files whose good copy is older."""
    in_play = {path: path for path, entry in sorted(live.entries.items())  # live name -> its name in the point
               if entry.kind == "file" and entry.content is not None and path not in chosen}
    for point, listing in sources():
        if not in_play:
            return
        in_play = _still_unchanged(live, listing, in_play, chosen)
        rotten = differs(point, listing, {name: path for path, name in in_play.items()}) if in_play else set()
        for path, name in sorted(in_play.items()):
            if name in rotten:
                chosen[name] = (point, "rot")
                if name != path:
                    moves[name] = path
        in_play = {path: name for path, name in in_play.items() if name not in rotten}


def _still_unchanged(live: LiveTree, listing: Listing, in_play: Mapping[str, str],
                     chosen: dict[str, tuple[RestorePoint, str]]) -> dict[str, str]:
    """The files of ``in_play`` the point shows unchanged to the eye, under their name there, following
    a rename to the one file of the same size and mtime whose name the live tree has lost."""
    lost: dict[tuple[int, int], list[str]] = {}
    for path, entry in listing.items():
        if entry.kind == "file" and path not in live.entries:
            lost.setdefault((entry.size, entry.mtime_ns), []).append(path)
    claimed = set(in_play.values())
    kept: dict[str, str] = {}
    for path, name in in_play.items():
        mine = live.entries[path]
        if name in listing and mine.same_listing(listing[name]):
            kept[path] = name
            continue
        candidates = lost.get((mine.size, mine.mtime_ns), [])
        if len(candidates) == 1 and candidates[0] not in claimed and _free(candidates[0], chosen):
            kept[path] = candidates[0]
            claimed.add(candidates[0])
    for name in kept.values():
        if chosen.get(name, (None, ""))[1] == "missing":
            del chosen[name]  # not lost: renamed; it comes back under its new name if it rotted
    return kept


def _free(name: str, chosen: Mapping[str, tuple[RestorePoint, str]]) -> bool:
    """No folder above ``name`` is restored whole already (the old name would come back twice)."""
    parts = name.split("/")
    return not any("/".join(parts[:depth]) in chosen for depth in range(1, len(parts)))


def tops(paths: Iterable[str]) -> list[str]:
    """The paths without those lying below another one of them (a folder stands for what it holds)."""
    chosen: set[str] = set()
    for path in sorted(set(paths), key=lambda p: (p.count("/"), p)):
        parts = path.split("/")
        if not any("/".join(parts[:depth]) in chosen for depth in range(1, len(parts))):
            chosen.add(path)
    return sorted(chosen)


def _grouped(chosen: Mapping[str, tuple[RestorePoint, str]], moves: Mapping[str, str]) -> list[Take]:
    groups: dict[tuple[str, str], list[str]] = {}
    points: dict[str, RestorePoint] = {}
    for path, (point, why) in chosen.items():
        groups.setdefault((why, point.id), []).append(path)
        points[point.id] = point
    order = sorted(groups, key=lambda key: (WHY.index(key[0]), -points[key[1]].time.timestamp(), key[1]))
    takes = []
    for why, pid in order:
        paths = tuple(sorted(groups[(why, pid)]))
        takes.append(Take(points[pid], why, paths, tuple((p, moves[p]) for p in paths if p in moves)))
    return takes
