"""The judge's side: the ground truth taken before anything happens, and every later tree judged against it.

``ground_truth(disk, folder)`` is the manifest of that folder of the disk (every
entry with its BLAKE3 hash, owner, mode, times, links and xattrs). ``judge(truth,
where)`` takes the same folder wherever it is now (on the disk, in a copy read in
place, in a folder a restore wrote) and sorts every entry into intact, missing,
corrupted, metadata or unexpected (``workbench.truth.judge``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..disk.mounting import mounted
from ..errors import UsageError
from ..truth.judge import Comparison, compare
from ..truth.manifest import Manifest, ManifestEntry, take_manifest
from .copies import Copy


@dataclass(frozen=True)
class Truth:
    """The manifest of one folder of a disk ('' = its whole root filesystem), paths relative to it."""

    manifest: Manifest
    folder: str = ""

    @property
    def files(self) -> list[ManifestEntry]:
        """The regular files, in path order."""
        return sorted(self.manifest.files(), key=lambda entry: entry.path)

    @property
    def file_bytes(self) -> int:
        """Bytes in those files (their sizes, holes included)."""
        return self.manifest.total_bytes()


def ground_truth(disk: Path, folder: str = "") -> Truth:
    """What ``folder`` of the disk's root filesystem holds now, entry by entry (mounted read-only)."""
    folder = folder.strip("/")
    with mounted(disk, readonly=True) as root:
        return Truth(take_manifest(_inside(root, folder, disk)), folder)


def judge(truth: Truth, where: Path | Copy) -> Comparison:
    """Judge ``truth``'s folder as ``where`` holds it now: a disk image (mounted read-only), a copy
    read in place (``Copy.opened``: a mirror, a clone, a raid1 pair), or a folder laid out like
    the disk's root filesystem (where a backup or a mirror was restored)."""
    if isinstance(where, Copy):
        return _judge_copy(truth, where)
    if Path(where).is_file():
        with mounted(Path(where), readonly=True) as root:
            return compare(truth.manifest, take_manifest(_inside(root, truth.folder, where)))
    return compare(truth.manifest, take_manifest(_inside(Path(where), truth.folder, where)))


def _judge_copy(truth: Truth, copy: Copy) -> Comparison:
    inner = _below(truth.folder, copy.holds)
    if inner is None:
        raise UsageError(f"the {copy.name} copy holds only '{copy.holds}' of the disk, not "
                         f"'{truth.folder or '/'}': take the ground truth of that folder")
    with copy.opened() as tree:
        actual = take_manifest(_inside(tree, inner, copy.target), exclude=copy.left_out if not inner else ())
    return compare(truth.manifest, actual)


def _below(folder: str, top: str) -> str | None:
    """``folder`` relative to ``top`` (both relative to the disk's root), None when outside it. Pure."""
    if not top:
        return folder
    path, base = PurePosixPath(folder), PurePosixPath(top)
    if not path.is_relative_to(base):
        return None
    inner = str(path.relative_to(base))
    return "" if inner == "." else inner


def _inside(root: Path, folder: str, what: Path | str) -> Path:
    tree = root / folder if folder else root
    if not tree.is_dir():
        raise UsageError(f"there is no folder '{folder}' in {what}")
    return tree
