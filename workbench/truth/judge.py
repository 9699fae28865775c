"""The judge: sort every entry of a restored tree into exactly one category.

A pure function over two manifests. For each path in either:

- ``missing``: expected, not there;
- ``unexpected``: there, not expected;
- ``corrupted``: the content differs (file hash or size, symlink target, or the
  kind of entry changed);
- ``stale``: only when ``history`` (older manifests of the same tree) is given:
  the content is not today's but equals an earlier version of that path;
- ``metadata``: the content is right but mode, owner, mtime, xattrs, hard-link
  group or sparseness differ (``detail`` names which);
- ``intact``: everything that is compared is equal.

Folder mtimes are ignored by default (``dir_mtime`` in ``DEFAULT_IGNORE``):
restoring files into a folder changes its mtime, and most restore tools cannot
set it back after the fact; counting that as damage would drown the signal.
Pass ``ignore=set()`` to be strict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .manifest import Manifest, ManifestEntry

CATEGORIES = ("intact", "missing", "corrupted", "metadata", "unexpected")
STALE = "stale"
#: What can be left out of the metadata comparison.
METADATA_FIELDS = ("mode", "owner", "mtime", "dir_mtime", "symlink_mtime", "xattrs", "links", "sparse")
MetadataIgnore = frozenset[str]
DEFAULT_IGNORE: MetadataIgnore = frozenset({"dir_mtime"})


@dataclass
class Verdict:
    path: str
    category: str
    expected: ManifestEntry | None
    actual: ManifestEntry | None
    detail: str = ""

    @property
    def size(self) -> int:
        """The bytes this verdict is about: the expected size, or the actual one for an extra."""
        entry = self.expected or self.actual
        return entry.size if entry and entry.kind == "file" else 0

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "category": self.category, "detail": self.detail, "bytes": self.size}


@dataclass
class Comparison:
    verdicts: list[Verdict]
    categories: tuple[str, ...] = CATEGORIES

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(self.categories, 0)
        for verdict in self.verdicts:
            out[verdict.category] += 1
        return out

    def bytes_by_category(self) -> dict[str, int]:
        out = dict.fromkeys(self.categories, 0)
        for verdict in self.verdicts:
            out[verdict.category] += verdict.size
        return out

    def of(self, category: str) -> list[Verdict]:
        return [v for v in self.verdicts if v.category == category]

    @property
    def ok(self) -> bool:
        return all(v.category == "intact" for v in self.verdicts)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": self.counts(),
            "bytes": self.bytes_by_category(),
            "verdicts": [v.to_json() for v in self.verdicts],
        }


def compare(expected: Manifest, actual: Manifest | Path, *, ignore: Iterable[str] = DEFAULT_IGNORE,
            history: Sequence[Manifest] | None = None) -> Comparison:  # fmt: skip
    """Judge ``actual`` (a manifest, or a tree to take one of) against ``expected``."""
    if not isinstance(actual, Manifest):
        from .manifest import take_manifest

        actual = take_manifest(Path(actual), include=expected.include)
    ignored = frozenset(ignore)
    unknown = ignored - set(METADATA_FIELDS)
    if unknown:
        raise UsageError(f"cannot ignore {', '.join(sorted(unknown))}: choose from {', '.join(METADATA_FIELDS)}")
    old_contents = _history(history) if history is not None else None
    expected_peers, actual_peers = _peers(expected), _peers(actual)
    verdicts = []
    for path in sorted(expected.entries.keys() | actual.entries.keys()):
        want, got = expected.entries.get(path), actual.entries.get(path)
        if got is None:
            assert want is not None  # the path came from one of the two manifests
            verdicts.append(Verdict(path, "missing", want, None, f"{want.kind} not found"))
        elif want is None:
            verdicts.append(Verdict(path, "unexpected", None, got, f"{got.kind} not in the manifest"))
        else:
            content = _content_difference(want, got)
            if content:
                stale = old_contents is not None and _content_key(got) in old_contents.get(path, ())
                verdicts.append(Verdict(path, STALE if stale else "corrupted", want, got, content))
                continue
            links = (expected_peers.get(path), actual_peers.get(path))
            differences = _metadata_differences(want, got, ignored, links)
            category = "metadata" if differences else "intact"
            verdicts.append(Verdict(path, category, want, got, ", ".join(differences)))
    categories = CATEGORIES + ((STALE,) if history is not None else ())
    return Comparison(verdicts, categories)


def _content_key(entry: ManifestEntry) -> tuple[str, str | None, int]:
    return (entry.kind, entry.hash if entry.kind == "file" else entry.target, entry.size)


def _history(history: Sequence[Manifest]) -> dict[str, set[tuple[str, str | None, int]]]:
    out: dict[str, set[tuple[str, str | None, int]]] = {}
    for manifest in history:
        for path, entry in manifest.entries.items():
            if entry.kind in ("file", "symlink"):
                out.setdefault(path, set()).add(_content_key(entry))
    return out


def _content_difference(want: ManifestEntry, got: ManifestEntry) -> str:
    if want.kind != got.kind:
        return f"was a {want.kind}, now a {got.kind}"
    if want.kind == "file":
        if want.size != got.size:
            return f"size {want.size} -> {got.size}"
        if want.hash != got.hash:
            return "content hash differs"
    if want.kind == "symlink" and want.target != got.target:
        return f"symlink target {want.target!r} -> {got.target!r}"
    if want.kind == "other" and (want.mode & 0o170000) != (got.mode & 0o170000):
        return "special file type differs"
    return ""


def _metadata_differences(want: ManifestEntry, got: ManifestEntry, ignored: frozenset[str],
                          links: tuple[frozenset[str] | None, frozenset[str] | None]) -> list[str]:  # fmt: skip
    found = []
    if "mode" not in ignored and want.mode != got.mode:
        found.append(f"mode {want.mode & 0o7777:04o} -> {got.mode & 0o7777:04o}")
    if "owner" not in ignored and (want.uid, want.gid) != (got.uid, got.gid):
        found.append(f"owner {want.uid}:{want.gid} -> {got.uid}:{got.gid}")
    mtime_field = {"dir": "dir_mtime", "symlink": "symlink_mtime"}.get(want.kind, "mtime")
    if mtime_field not in ignored and "mtime" not in ignored and want.mtime_ns != got.mtime_ns:
        found.append(f"mtime {(got.mtime_ns - want.mtime_ns) / 1e9:+.9f} s")
    if "xattrs" not in ignored and want.xattrs != got.xattrs:
        found.append("xattrs " + ",".join(sorted(set(want.xattrs).symmetric_difference(got.xattrs)) or ["values"]))
    if "links" not in ignored and links[0] != links[1]:
        found.append("hard links differ")
    if "sparse" not in ignored and want.sparse and not got.sparse:
        found.append("no longer sparse")
    return found


def _peers(manifest: Manifest) -> dict[str, frozenset[str]]:
    """Each hard-linked path -> the set of all its names in the tree."""
    groups: dict[int, set[str]] = {}
    for path, entry in manifest.entries.items():
        if entry.link_group is not None:
            groups.setdefault(entry.link_group, set()).add(path)
    return {path: frozenset(paths) for paths in groups.values() for path in paths}
