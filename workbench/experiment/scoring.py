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
- ``rpo_hours``: from the fault back to the newest ground-truth state that the
  restored files are consistent with.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from ..truth.judge import compare
from ..truth.manifest import Manifest, ManifestEntry


@dataclass(frozen=True)
class TruthState:
    """The true state of the whole root tree at one simulated hour."""

    hour: int
    manifest: Manifest


def file_columns(prefault: TruthState, history: list[TruthState], restored: Manifest | None) -> dict:
    """Judge's counts and bytes, clean-ness and RPO for a restored tree (None: nothing came back)."""
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
        "rpo_hours": rpo_hours(prefault, history, restored),
    }


def _true_contents(states: list[TruthState]) -> set[tuple[str | None, int]]:
    return {(e.hash, e.size) for s in states for e in s.manifest.entries.values() if e.kind == "file"}


def rpo_hours(prefault: TruthState, history: list[TruthState], restored: Manifest) -> float:
    """Hours from the fault back to the newest true state the restored files agree with.

    Each restored file that equals some true version is consistent with the
    states where that path held that content; the tree as a whole can be no
    newer than the oldest of those files' newest matching state. Files with no
    true version (rot, ciphertext) are the judge's business, not the RPO's, and so are files the
    pre-fault tree does not have (deleted on purpose, brought back by a restore from a listing).
    NaN when no restored file matches any true state.
    """
    states = sorted([*[s for s in history if s.hour < prefault.hour], prefault], key=lambda s: s.hour)
    newest_consistent = math.inf
    for path, entry in restored.entries.items():
        if entry.kind != "file" or path not in prefault.manifest.entries:
            continue
        hours = [s.hour for s in states if _same_content(s.manifest.entries.get(path), entry)]
        if hours:
            newest_consistent = min(newest_consistent, max(hours))
    if newest_consistent is math.inf:
        return math.nan
    return float(prefault.hour - newest_consistent)


def _same_content(want: ManifestEntry | None, got: ManifestEntry) -> bool:
    return want is not None and want.kind == "file" and (want.hash, want.size) == (got.hash, got.size)


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
