"""A profile made from a real folder's shape (``workbench dataset profile-from DIR``), none of its contents.

The folder is walked once, read-only. Its regular files are grouped by folder
(the top-level folder, or every folder with ``keep_names``) and by extension,
and each group is cut into size bands at its quartiles; each band becomes a
profile group whose log-uniform size range has the band's mean and median, so
the generated tree has the same file count, bytes and size quantiles. Each
group records the zstd ratio of a sample of its files (``zstd_ratio``), which
chose the content kind where the extension does not say it.

The special entries (hard links, symlinks, sparse files with their data
extents, xattrs, fifos, empty files) become the profile's ``specials``, one for
one. Names are made up (words of the generator's vocabulary for folders,
``special-NNNN`` for special entries; xattr values and symlink targets too)
unless ``keep_names`` is given; sizes, modes, owners and ages are kept.
"""

from __future__ import annotations

import math
import os
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
import zstandard

from ..sparse import data_extents
from .content import vocabulary
from .shape import has_xattrs, linked_inodes
from .tree_walk import Found, walk

HOME_PATH = "{home}"
BAND_MIN_FILES = 16  # a size band holds at least this many files; up to 4 bands a group
SAMPLE_FILES = 3
SAMPLE_BYTES = 256 << 10
MAX_EXTENTS = 64  # the data extents kept of a sparse file (the largest, if it has more)
MEAN_STEPS = 60
DAY_S = 86_400

#: Content kinds by extension; others are judged by their zstd ratio (``kind_by_ratio``).
KIND_OF_EXT = {
    **dict.fromkeys((".txt", ".md", ".rst", ".tex", ".html", ".htm", ".xml", ".svg"), "text"),
    **dict.fromkeys((".doc", ".docx", ".odt", ".rtf", ".xlsx", ".pptx", ".ods", ".odp"), "office"),
    **dict.fromkeys((".csv", ".tsv"), "csv"),
    **dict.fromkeys((".py", ".c", ".h", ".cpp", ".js", ".ts", ".go", ".rs", ".java", ".sh", ".rb"), "source"),
    **dict.fromkeys((".conf", ".cfg", ".ini", ".json", ".yaml", ".yml", ".toml"), "config"),
    **dict.fromkeys((".log",), "log"),
    **dict.fromkeys((".jpg", ".jpeg", ".png", ".gif", ".heic", ".webp"), "jpeg"),
    **dict.fromkeys((".mp4", ".mov", ".mkv", ".avi", ".webm", ".mp3", ".flac", ".ogg"), "video"),
    **dict.fromkeys((".zip", ".gz", ".xz", ".zst", ".bz2", ".7z", ".pdf", ".bin", ".so", ".exe"), "binary"),
}


def kind_by_ratio(ratio: float) -> str:
    """The generated kind closest in compressibility to a measured zstd ratio (pure)."""
    return "binary" if ratio < 1.2 else "pages" if ratio < 2.5 else "text"


def log_uniform_mean(low: float, high: float) -> float:
    return low if high <= low else (high - low) / math.log(high / low)


def fit_range(mean: float, median: float) -> tuple[int, int]:
    """[MIN, MAX] of a log-uniform distribution with this mean and (about) this median (pure).

    A log-uniform's median is sqrt(MIN x MAX) and its mean is at least its median; a
    band whose mean is below its median gets one size, the mean.
    """
    if mean <= median * 1.001 or mean < 2:
        size = max(1, round(mean))
        return size, size
    low_r, high_r = 0.0, 60.0  # ln(MAX/MIN)
    for _ in range(MEAN_STEPS):
        mid = (low_r + high_r) / 2
        ratio = math.exp(mid)
        if median * (ratio - 1) / (math.sqrt(ratio) * mid) < mean:
            low_r = mid
        else:
            high_r = mid
    ratio = math.exp(low_r)
    low = max(1, round(median / math.sqrt(ratio)))
    high = max(low, round(median * math.sqrt(ratio)))
    if low == 1:  # the floor moved MIN: find MAX for the mean again
        lo, hi = float(low), float(max(high, 2))
        while log_uniform_mean(low, hi) < mean:
            hi *= 2
        for _ in range(MEAN_STEPS):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if log_uniform_mean(low, mid) < mean else (lo, mid)
        high = max(low, round(hi))
    return low, high


def exact_count(budget: int, count: int, low: int, high: int) -> int:
    """MAX nudged so the generator's count, round(budget / mean), is ``count`` (pure)."""
    for _ in range(200):
        made = round(budget / log_uniform_mean(low, high)) if high > low else round(budget / low)
        if made == count:
            break
        high = max(low + 1, high + max(1, high // 200) * (1 if made > count else -1))
    return high


@dataclass
class _Namer:
    """Made-up names for folders (a word per real folder name) and special entries."""

    keep: bool
    folders: dict[str, str] = field(default_factory=dict)
    specials: int = 0

    def folder(self, real: str) -> str:
        if self.keep or not real:
            return real
        parts = real.split("/")
        made = []
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if prefix not in self.folders:
                words = vocabulary()
                self.folders[prefix] = f"{words[(len(self.folders) * 2654435761 + 17) % len(words)]}"
            made.append(self.folders[prefix])
        return "/".join(made)

    def entry(self, real: str) -> str:
        """A made-up path for a special entry (its folder made up too), or the real one."""
        if self.keep:
            return real
        folder, _, name = real.rpartition("/")
        self.specials += 1
        new = f"special-{self.specials:04d}{_extension(name)}"
        return f"{self.folder(folder)}/{new}" if folder else new


def profile_document(folder: Path, *, keep_names: bool = False, exclude: Sequence[str] = ()) -> dict[str, Any]:
    """Walk ``folder`` (only reading) and return a profile document of its shape."""
    found = walk(folder, exclude)
    namer = _Namer(keep_names)
    linked = linked_inodes(found)
    specials, plain = _specials(folder, found, linked, namer)
    groups = _groups(folder, plain, namer)
    special_bytes = sum(s.get("size", 0) for s in specials if s["kind"] == "file") + sum(
        length for s in specials if s["kind"] == "sparse" for _, length in s["data"])
    data_size = sum(group["share"] for group in groups) + special_bytes
    shown = folder.name if keep_names else "a folder"
    return {
        "description": f"The shape of {shown}: {len(found)} entries, made by 'workbench dataset profile-from'",
        "default_data_size": max(1, data_size),
        "users": ["user"],
        "groups": groups or [{"path": HOME_PATH, "content": "text", "share": 1, "size": [1, 1]}],
        "specials": specials,
    }


def write_profile(path: Path, document: dict[str, Any]) -> None:
    """Write a profile document as YAML, with a header saying where it came from."""
    header = "# Made by 'workbench dataset profile-from': the shape of a real folder, none of its contents.\n"
    path.write_text(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120))


def _path(rel: str) -> str:
    return f"{HOME_PATH}/{rel}" if rel else HOME_PATH


def _extension(name: str) -> str:
    stem, ext = os.path.splitext(name)
    return ext if stem and len(ext) <= 8 else ""


def _specials(folder: Path, found: list[Found], linked: set[tuple[int, int]], namer: _Namer,
              ) -> tuple[list[dict[str, Any]], list[Found]]:
    """The special entries as profile specials, and the plain files left for the groups."""
    specials: list[dict[str, Any]] = []
    plain: list[Found] = []
    first_name: dict[tuple[int, int], str] = {}
    for entry in found:
        real = folder / entry.path
        xattrs = has_xattrs(real) and not entry.is_symlink
        if entry.is_file and entry.inode in first_name:
            specials.append({"kind": "hardlink", "path": _path(namer.entry(entry.path)),
                             "to": _path(first_name[entry.inode])})
            continue
        st = entry.stat
        meta = {"mode": f"{st.st_mode & 0o7777:04o}", "owner": f"{st.st_uid}:{st.st_gid}"}
        if entry.is_dir:
            if xattrs:
                made = namer.entry(entry.path)
                specials.append({"kind": "empty_dir", "path": _path(made), **meta})
                specials += _xattr_specials(real, made, namer.keep)
            continue
        if entry.is_symlink:
            target = os.readlink(real) if namer.keep else f"target-{len(specials):04d}"
            specials.append({"kind": "symlink", "path": _path(namer.entry(entry.path)), "target": target})
            continue
        if not entry.is_file:
            if entry.stat.st_mode & 0o170000 == 0o010000:  # a fifo; sockets and devices are not generated
                specials.append({"kind": "fifo", "path": _path(namer.entry(entry.path)), **meta})
            continue
        special = entry.inode in linked or entry.is_sparse or xattrs or st.st_size == 0
        if not special:
            plain.append(entry)
            continue
        made = namer.entry(entry.path)
        first_name[entry.inode] = made
        age = {"age_days": 0.0}
        if st.st_size == 0:
            specials.append({"kind": "empty_file", "path": _path(made), **meta, **age})
        elif entry.is_sparse:
            specials.append({"kind": "sparse", "path": _path(made), "size": st.st_size,
                             "data": _extents(real, st.st_size), **meta, **age})
        else:
            specials.append({"kind": "file", "path": _path(made), "size": st.st_size,
                             "content": _kind(entry.name, [real]), **meta, **age})
        if xattrs:
            specials += _xattr_specials(real, made, namer.keep)
    return specials, plain


def _xattr_specials(real: Path, made: str, keep: bool) -> list[dict[str, Any]]:
    out = []
    for name in sorted(os.listxattr(real, follow_symlinks=False)):
        value = os.getxattr(real, name, follow_symlinks=False)
        text = value.decode("utf-8", "replace") if keep else "v" * max(1, len(value))
        out.append({"kind": "xattr", "path": _path(made), "name": name, "value": text})
    return out


def _extents(path: Path, size: int) -> list[list[int]]:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        extents = data_extents(fd, size)
    finally:
        os.close(fd)
    if len(extents) > MAX_EXTENTS:
        extents = sorted(sorted(extents, key=lambda e: -e[1])[:MAX_EXTENTS])
    return [[offset, length] for offset, length in extents]


def _kind(name: str, sample: list[Path]) -> str:
    return KIND_OF_EXT.get(_extension(name).lower()) or kind_by_ratio(zstd_ratio(sample))


def zstd_ratio(paths: Sequence[Path]) -> float:
    """Bytes over zstd-compressed bytes of the first ``SAMPLE_BYTES`` of each file."""
    raw = packed = 0
    compressor = zstandard.ZstdCompressor(level=3)
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read(SAMPLE_BYTES)
        raw += len(data)
        packed += len(compressor.compress(data))
    return raw / packed if packed else 1.0


def _groups(folder: Path, plain: list[Found], namer: _Namer) -> list[dict[str, Any]]:
    by_key: dict[tuple[str, str], list[Found]] = {}
    for entry in plain:
        parent = entry.path.rpartition("/")[0]
        home = parent if namer.keep else parent.split("/")[0] if parent else ""
        by_key.setdefault((home, _extension(entry.name)), []).append(entry)
    groups = []
    for (home, ext), members in sorted(by_key.items()):
        ratio = zstd_ratio([folder / m.path for m in members[:SAMPLE_FILES]])
        kind = KIND_OF_EXT.get(ext.lower()) or kind_by_ratio(ratio)
        members.sort(key=lambda m: (m.stat.st_size, m.path))
        bands = max(1, min(4, len(members) // BAND_MIN_FILES))
        for band in range(bands):
            chosen = members[band * len(members) // bands: (band + 1) * len(members) // bands]
            groups.append(_group(home, ext, kind, ratio, chosen, namer))
    return groups


def _group(home: str, ext: str, kind: str, ratio: float, members: list[Found], namer: _Namer) -> dict[str, Any]:
    sizes = [m.stat.st_size for m in members]
    budget = sum(sizes)
    low, high = fit_range(budget / len(sizes), statistics.median(sizes))
    if high > low:
        high = exact_count(budget, len(sizes), low, high)
    modes = Counter(m.stat.st_mode & 0o7777 for m in members)
    owners = Counter((m.stat.st_uid, m.stat.st_gid) for m in members)
    mtimes = [m.stat.st_mtime for m in members]
    group: dict[str, Any] = {
        "path": _path(namer.folder(home)), "content": kind, "share": budget, "size": [low, high],
        "zstd_ratio": round(ratio, 2), "mode": f"{modes.most_common(1)[0][0]:04o}",
        "owner": "{}:{}".format(*owners.most_common(1)[0][0]),
        "age_days": round(max(1.0, (max(mtimes) - min(mtimes)) / DAY_S), 1),
    }
    if namer.keep:
        group["names"] = [m.name for m in members]
    else:
        group["ext"] = [ext]
        depths = [m.path.count("/") - (home.count("/") + 1 if home else 0) for m in members]
        folders = {m.path.rpartition("/")[0] for m in members}
        if max(depths) > 0 and len(folders) > 1:
            group["per_dir"] = max(1, math.ceil(len(members) / len(folders)))
            group["depth"] = max(1, min(4, max(depths)))
    return group
