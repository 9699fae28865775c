"""Scoring one recovery against the ground truth (pure: manifests in, one row out).

The vocabulary is shared by the notebooks, the report and ``results.csv``;
``results/schema.py`` declares every column (``docs/results.md`` is rendered
from it), and ``phases/score.py`` puts these groups together into one row.

- The judge compares the restored root tree with the **whole** disk's state
  just before the fault, whatever the strategy covered: what the user lost.
- ``files_stale``: content that equals an earlier ground-truth version of the
  file; ``files_corrupted``: content that never was a true version (rot,
  encryption). An encrypted-and-renamed file is missing under its own name and
  its twin is unexpected.
- ``came_back_clean``: no restored file holds content that was never a true
  version of any file (so encrypted or rotten bytes are caught whatever their name).
- ``rpo_hours`` and ``data_lost_for_good``: how far back in time the in-scope
  data came back, or that some of it is gone for good (``rpo``).
- ``versions_lost``: of the versions conflicting edits wrote on either side, those
  found nowhere afterwards (``versions_lost``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..truth.judge import compare
from ..truth.manifest import Manifest, ManifestEntry


@dataclass(frozen=True)
class TruthState:
    """The true state of the whole root tree at one simulated hour.

    ``held``: a restore point of the strategy captured it (False for the state a
    run saw when the run failed or was killed before it finished).
    """

    hour: int
    manifest: Manifest
    held: bool = True


@dataclass(frozen=True)
class Rpo:
    """The RPO of one recovery (``rpo``)."""

    hours: float  # inf: in-scope data is lost for good; NaN: nothing in scope
    lost_for_good: tuple[str, ...] = ()  # in-scope files a point once held that did not come back
    oldest: tuple[str, float] | None = None  # the file that sets a finite RPO, and its age in hours

    @property
    def data_lost_for_good(self) -> bool:
        return math.isinf(self.hours)

    def to_json(self, limit: int = 20) -> dict[str, Any]:
        """For the cell's details: JSON has no infinity, so an unbounded RPO is null there."""
        return {"rpo_hours": self.hours if math.isfinite(self.hours) else None,
                "data_lost_for_good": self.data_lost_for_good,
                "lost_for_good": list(self.lost_for_good[:limit]), "lost_for_good_count": len(self.lost_for_good),
                "oldest": None if self.oldest is None else {"path": self.oldest[0], "age_hours": self.oldest[1]}}


def file_columns(prefault: TruthState, history: list[TruthState], restored: Manifest | None) -> dict:
    """Judge's counts and bytes, and clean-ness, for a restored tree (None: nothing came back)."""
    restored = restored or Manifest(entries={})
    older = [state.manifest for state in history if state.hour < prefault.hour]
    comparison = compare(prefault.manifest, restored, history=older)
    counts, sizes = comparison.counts(), comparison.bytes_by_category()
    true_contents = _true_contents([prefault, *history])
    restored_files = [e for e in restored.entries.values() if e.kind == "file"]
    return {
        "files_intact": counts["intact"],
        "files_missing": counts["missing"],
        "files_corrupted": counts["corrupted"],
        "files_stale": counts["stale"],
        "files_metadata_differs": counts["metadata"],
        "files_unexpected": counts["unexpected"],
        "bytes_intact": sizes["intact"] + sizes["metadata"],
        "bytes_lost": sizes["missing"] + sizes["corrupted"],
        "bytes_stale": sizes["stale"],
        "came_back_clean": all((e.hash, e.size) in true_contents for e in restored_files),
    }


def rpo_columns(measured: Rpo) -> dict[str, Any]:
    return {"rpo_hours": measured.hours, "data_lost_for_good": measured.data_lost_for_good}


def _true_contents(states: list[TruthState]) -> set[tuple[str | None, int]]:
    return {(e.hash, e.size) for s in states for e in s.manifest.entries.values() if e.kind == "file"}


def rpo(prefault: TruthState, history: Sequence[TruthState], restored: Manifest,
        folders: tuple[str, ...] = ()) -> Rpo:
    """The recovery point: how far back in time the in-scope data came back, in simulated hours.

    The rule. RPO covers the regular files of the pre-fault tree within the strategy's
    scope (``folders``; () = the whole tree, also for ``none``): the data the fault could
    hit. Those the fault did not hit come back as they were and count 0. Loss outside
    the scope shows only in ``bytes_lost`` and the file counts. Restored files the
    pre-fault tree does not have (deleted on purpose, brought back by a restore from a
    listing) are not among them: they show only in ``files_unexpected``. For each file:

    - it came back as a true version of itself: its age is the hours from the fault
      back to the newest recorded true state that held that content (0 when it is the
      pre-fault content). The recorded states are the pre-fault tree and the states
      the strategy's points captured (every point of every strategy is on the
      simulated clock, a continuous mirror's and raid1's included);
    - it did not come back (missing, or content that never was a true version of it):
      - if some point of the strategy once held the file (it is in a ``held`` state),
        it is **lost for good**: no point brings it back (it was deleted from the
        mirror, encrypted in every point, pruned...);
      - if no point ever held it (it was born after the newest point), its loss is
        what an RPO measures: its age is the hours from the fault back to that
        newest point. With no point at all, it is lost for good.

    The cell's RPO is the oldest age; ``inf`` (unbounded) when any in-scope file is lost
    for good, whatever the others. NaN when the scope holds no file.
    """
    states = sorted([*[s for s in history if s.hour < prefault.hour], prefault], key=lambda s: s.hour)
    held = [s for s in history if s.held and s.hour <= prefault.hour]
    newest_point = max((s.hour for s in held), default=None)
    ages: list[tuple[float, str]] = []
    lost: list[str] = []
    for path, entry in sorted(prefault.manifest.entries.items()):
        if entry.kind != "file" or not _in_scope(path, folders):
            continue
        got = restored.entries.get(path)
        hours = [s.hour for s in states if got is not None and _same_content(s.manifest.entries.get(path), got)]
        if hours:
            ages.append((float(prefault.hour - max(hours)), path))
        elif newest_point is None or any(path in s.manifest.entries for s in held):
            lost.append(path)
        else:
            ages.append((float(prefault.hour - newest_point), path))
    if lost:
        return Rpo(math.inf, tuple(lost))
    if not ages:
        return Rpo(math.nan)
    age, path = max(ages)
    return Rpo(age, oldest=(path, age))


def _in_scope(path: str, folders: tuple[str, ...]) -> bool:
    return not folders or any(path == f or path.startswith(f + "/") for f in folders)


def _same_content(want: ManifestEntry | None, got: ManifestEntry) -> bool:
    return want is not None and want.kind == "file" and (want.hash, want.size) == (got.hash, got.size)


def versions_lost(faults: Iterable[Mapping[str, Any]], *trees: Manifest | None) -> float:
    """Of the versions conflicting edits wrote (on the machine and on a second machine's copy), how many
    no tree holds afterwards, under any name (a conflict copy counts): the recovered machine's and the
    copy's. NaN when no conflicting edits were made.
    """
    versions = [v for record in faults if record["kind"] == "conflicting-edits"
                for v in record["details"]["versions"]]
    if not versions:
        return math.nan
    present = {(e.hash, e.size) for tree in trees if tree is not None for e in tree.entries.values()
               if e.kind == "file"}
    return sum((v["hash"], v["size"]) not in present for v in versions)


WATCH_COLUMNS = ("watch_events", "watch_errors", "propagation_delay_median_s", "propagation_delay_max_s")


def watch_columns(watched: bool, summaries: list[dict], delays_s: list[float]) -> dict:
    """What a continuous watcher saw and how long its changes took to reach the target.

    ``summaries``: one ``ContinuousStats.summary()`` per mounted stretch; ``delays_s``:
    per change applied, from the first event seen for the path to the change applied
    on the target. Every column is NaN when no watcher ran.
    """
    if not watched:
        return dict.fromkeys(WATCH_COLUMNS, math.nan)
    return {
        "watch_events": sum(s["events_total"] for s in summaries),
        "watch_errors": sum(len(s["errors"]) for s in summaries),
        "propagation_delay_median_s": round(statistics.median(delays_s), 4) if delays_s else math.nan,
        "propagation_delay_max_s": round(max(delays_s), 4) if delays_s else math.nan,
    }


def health_columns(before: dict | None, after: dict | None) -> dict:
    """Restored-system health against the **pre-fault** disk facts (None: no disk came back).

    ``before`` is None for a machine that is not a partitioned disk: every column is NaN then.
    ``before`` and ``after`` hold ``partition_entries``, ``boot_code``, ``esp_files``,
    ``fs_uuid`` and ``fsck_clean``, as ``experiment.machine.disk_facts`` returns them.
    A freshly made disk has new GUIDs, a new boot-code id and a new grub.cfg, so it
    does not pass for the old one.
    """
    if before is None:  # not a partitioned disk (a raid1 pair): there is nothing of the kind to compare
        return dict.fromkeys(("partition_table_ok", "boot_ok", "esp_ok", "fsck_clean", "fs_uuid_ok"), math.nan)
    if after is None:
        return {"partition_table_ok": False, "boot_ok": False, "esp_ok": False, "fsck_clean": False,
                "fs_uuid_ok": False}
    return {
        "partition_table_ok": (bool(after["partition_entries"])
                               and after["partition_entries"] == before["partition_entries"]),
        "boot_ok": after["boot_code"] == before["boot_code"],
        "esp_ok": after["esp_files"] is not None and after["esp_files"] == before["esp_files"],
        "fsck_clean": bool(after["fsck_clean"]),
        "fs_uuid_ok": after["fs_uuid"] is not None and after["fs_uuid"] == before["fs_uuid"],
    }
