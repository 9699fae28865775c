"""``compare --tree DIR`` / ``--disk IMG``: a person's own data as the matrix's workload.

The options are checked together before anything runs; then the workload's
profile is written into the results folder (``tree.yaml``, what the cells build
from), and, with ``--redact-names``, a redactor of the source's names is made.
A folder is only read; a disk's root is mounted read-only while it is walked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import guard
from ..disk.workload_disk import mounted_workload
from ..errors import UsageError
from ..proc import require_root
from ..results.redact import Redactor, names_key
from ..workload.tree_source import DEFAULT_CHURN, DISK_EXCLUDE, write_tree_profile
from ..workload.tree_walk import source_folder, walk

#: The workload profile written into the results folder (and run as the cells' profile).
TREE_PROFILE = "tree.yaml"


@dataclass(frozen=True)
class OwnWorkload:
    profile: str  # the profile the cells run: tree.yaml in the results folder
    redactor: Redactor | None  # of the source's names, when asked for


def own_workload(out: Path, *, tree: str | Path | None, disk: str | Path | None, exclude: Sequence[str],
                 churn: str | None, redact_names: bool, profile: str,
                 data_size: int | str | None) -> OwnWorkload | None:
    """Check the options of a user's own workload; write its profile into ``out``. None without one."""
    if tree is None and disk is None:
        given = [name for name, value in (("--exclude", exclude), ("--churn", churn),
                                          ("--redact-names", redact_names)) if value]
        if given:
            raise UsageError(f"{given[0]} goes with --tree DIR or --disk IMG (your own data as the workload)")
        return None
    option = "--tree" if tree is not None else "--disk"
    if tree is not None and disk is not None:
        raise UsageError("give --tree or --disk, not both: one workload at a time")
    if profile != "classroom":
        raise UsageError(f"give {option} or --profile, not both: your data is the workload")
    if data_size is not None:
        raise UsageError(f"{option} copies your data at its own size: leave out --data-size")
    rate = churn or DEFAULT_CHURN
    if tree is not None:
        source = source_folder(tree)
        written = write_tree_profile(out / TREE_PROFILE, source, exclude=exclude, churn=rate)
        names = _names(source, exclude) if redact_names else None
    else:
        assert disk is not None
        require_root("reading the disk's root filesystem")
        image = guard.check_image(disk)
        with mounted_workload(image) as root:
            written = write_tree_profile(out / TREE_PROFILE, root, exclude=exclude, churn=rate, disk_image=image)
            names = _names(root, [*exclude, *DISK_EXCLUDE]) if redact_names else None
    return OwnWorkload(str(written), Redactor(names, names_key()) if names is not None else None)


def _names(source: Path, exclude: Sequence[str]) -> set[str]:
    return {part for found in walk(source, exclude) for part in found.path.split("/")}
