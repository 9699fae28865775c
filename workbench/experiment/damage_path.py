"""How damage reached a strategy's target (``target_damage_by``), decided from the records alone (pure).

Two records say it: the injectors' (``FaultRecord``: which files each fault
deleted, encrypted, rotted, and which target files it touched) and the
strategy's own record of each protect run (what the run wrote onto its target).
The ground truth's content plays no part.

- ``attack``: the injector reached the target directly: a record names target files
  it touched (ransomware walking a reachable mirror or repository:
  ``ransomware-targets``; ``target-corruption``).
- ``propagation``: a protect run copied the damage, after a fault struck the user's
  data, as the run's own record says:

  - engines that name what they did to the target (the mirrors: ``written`` and
    ``removed`` paths, as ``rsync -i`` itemises them): the run wrote a path the fault
    wrote (an encrypted file under its new name, a ransom note, a rotten file) or
    removed a path the fault deleted or renamed away;
  - engines that count what they copied (backup: changed files; image: chunks
    stored; clone: blocks changed): the run recorded a change after a fault that
    changed content. The workload stops at the first fault, so every change a later
    run records is the faults' doing. A deletion alone does not count for them: a
    versioned target still holds what it held, so nothing on it was damaged;
  - raid1, whose pair is the filesystem: every write through the mounted
    filesystem lands on both halves, so a fault that works through it (deletion,
    ransomware) reaches the mirror half; a raw fault under half A does not.
- ``none``: neither.

When both happened, ``attack`` wins: the target was damaged without any run's help.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..faults import kinds
from ..strategies.base import RestorePoint

TargetDamageBy = Literal["none", "propagation", "attack"]
DAMAGE_PATHS: tuple[str, ...] = ("none", "propagation", "attack")

#: Fault records that say the injector touched a target: their ``files`` are target files.
_ATTACKS = ("ransomware-targets", "target-corruption")
#: Fault kinds that change what files hold (a deletion only removes).
_CONTENT_FAULTS = ("ransomware", "bitrot", "bad-sectors", "superblock", "partition-wipe", "boot-wipe")
#: The key each counting engine's point record gives the changes it copied (backup, image, clone).
_CHANGE_COUNTS = ("changed_files", "chunks_stored", "blocks_changed")


@dataclass(frozen=True)
class RunCopy:
    """What one protect run (or one hour of a watcher's syncs) recorded doing to its target."""

    after_fault: bool  # the run came after a fault struck the user's data
    written: frozenset[str] | None = None  # target paths written; None when the engine names none
    removed: frozenset[str] | None = None
    changes: int = 0  # what a counting engine says it copied


def run_copy(point: RestorePoint, *, after_fault: bool) -> RunCopy:
    """A protect run's record, read from the point it made (``extra`` as each engine fills it)."""
    extra = point.extra
    if "written" in extra:
        return RunCopy(after_fault, frozenset(extra["written"]), frozenset(extra.get("removed", ())))
    changes = next((int(extra[key]) for key in _CHANGE_COUNTS if key in extra), point.stored_bytes)
    return RunCopy(after_fault, changes=changes)


def target_damage_by(faults: Sequence[Mapping[str, Any]], runs: Iterable[RunCopy], *, tree_root: str = "",
                     filesystem: bool = False) -> TargetDamageBy:
    """The rule of the module docstring.

    ``faults``: the records as the cell's details keep them (``FaultRecord.to_json``);
    ``tree_root``: the folder of the root tree the target's paths are relative to (a
    mirror of ``home``: "home"; "" for the whole tree); ``filesystem``: the target is
    the protected filesystem itself (raid1).
    """
    if any(record["kind"] in _ATTACKS and record.get("files") for record in faults):
        return "attack"
    source = [record for record in faults if record["kind"] in kinds.names()
              and not kinds.kind(record["kind"]).strikes_protection]
    if filesystem:
        through = any(kinds.kind(record["kind"]).access == "mounted" for record in source)
        return "propagation" if through else "none"
    wrote, removed = _damaged_paths(source, tree_root)
    changed_content = any(record["kind"] in _CONTENT_FAULTS for record in source)
    for run in runs:
        if not run.after_fault:
            continue
        if run.written is None:
            if changed_content and run.changes > 0:
                return "propagation"
        elif wrote & run.written or _any_below(removed, run.removed or frozenset()):
            return "propagation"
    return "none"


def _damaged_paths(records: Iterable[Mapping[str, Any]], tree_root: str) -> tuple[set[str], set[str]]:
    """(paths the faults wrote, paths they removed), relative to ``tree_root``; others are left out."""
    wrote: set[str] = set()
    removed: set[str] = set()
    for record in records:
        details = record.get("details", {})
        if record["kind"] == "ransomware":
            for entry in details.get("encrypted", []):
                wrote.add(entry["renamed_to"])
                if entry["renamed_to"] != entry["file"]:
                    removed.add(entry["file"])
            wrote |= {note["file"] for note in details.get("notes", [])}
        elif record["kind"] == "deletion":
            removed |= set(record.get("files", []))
        elif record["kind"] in _CONTENT_FAULTS:
            wrote |= set(record.get("files", []))
    return _below_root(wrote, tree_root), _below_root(removed, tree_root)


def _below_root(paths: set[str], tree_root: str) -> set[str]:
    if not tree_root:
        return set(paths)
    prefix = tree_root.strip("/") + "/"
    return {p.removeprefix(prefix) for p in paths if p.startswith(prefix)}


def _any_below(paths: set[str], tops: frozenset[str]) -> bool:
    """Whether any path is one of the tops or lies below one (a removed folder counts once, as its top)."""
    for path in paths:
        parts = path.split("/")
        if any("/".join(parts[:n]) in tops for n in range(1, len(parts) + 1)):
            return True
    return False
