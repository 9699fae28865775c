"""Every column of a results table, declared once: its type, unit, clock, what it counts and what it means.

``results.csv`` and ``results.parquet`` hold one row per strategy × scenario ×
repetition. The runner builds each row as a ``Row`` (every column checked
against its declaration), the writer writes the columns in this order with
these types, the report and the advice read their column groups from here, and
``docs/results.md`` is rendered from this module (``make docs``).

To add a column: add one ``Column`` to ``COLUMNS`` where it belongs, fill it where
the runner scores a cell (``Row.measured`` refuses a row that lacks it), bump
``SCHEMA_VERSION`` and say what changed in ``results.upgrade.TABLE_CHANGES``
(older tables are read with the new column missing). To change what a column
means, edit its ``meaning`` and ``counts`` here and record the change the same way;
a renamed column gets ``renamed`` there, so older tables keep opening.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Literal

#: The version of the tables' columns; written into results.parquet and run.json.
SCHEMA_VERSION = 7

Dtype = Literal["string", "int64", "float64", "bool"]
#: Which clock a time column reads: real (wall) seconds, or the simulated clock of the scenario.
Clock = Literal["real", "simulated", ""]
#: How the report folds a column over repetitions: median with its min–max range (timings vary),
#: the median (outcomes follow from the seed), the share of repetitions that passed (checks).
Summary = Literal["range", "median", "share", ""]


@dataclass(frozen=True)
class Column:
    """One column: a small contract between the code that fills it and everyone who reads it."""

    name: str
    dtype: Dtype
    meaning: str  # Markdown, as docs/results.md shows it
    unit: str = ""  # s, h, bytes, count, ratio, ISO time
    clock: Clock = ""  # set for every column that is a time or a duration
    counts: str = ""  # what exactly is counted, where a reader could guess wrong
    summary: Summary = ""
    identity: bool = False  # says which cell the row is: filled in a failed row too

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` may stand in this column: one of its type, or missing (None, NaN)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return not self.identity
        if self.dtype == "string":
            return isinstance(value, str)
        if self.dtype == "bool":
            return isinstance(value, bool)
        if isinstance(value, bool):
            return False
        return isinstance(value, Integral if self.dtype == "int64" else Real)


_JUDGED = ("entries of the root tree (files, folders, symlinks), each path once, judged against the **whole** "
           "disk just before the fault")
_LOGICAL = "logical bytes (`st_size`) of regular files: a hard-linked file once per name, holes counted as data"
_NO_WATCHER = "NaN for strategies without a watcher"
_SCOPE_PROTECTED = (
    "as the strategy's scope stores it, at the fault (`experiment/space.py`): **folders** (backup, the mirrors): "
    "the folders' allocated bytes as `du -s` counts them (files, folders and symlinks, `st_blocks` × 512; holes "
    "excluded; a hard-linked inode once); **whole-disk** (image, clone): each partition's used bytes as its "
    "filesystem counts them (ext4: used blocks × block size from the superblock, as `df` shows Used, its own "
    "inode tables and journal not counted; the FAT ESP: its used clusters × cluster size) plus the partition table "
    "and boot area (protective MBR with the boot code, GPT header and entries, and their backup); **filesystem** "
    "(raid1): one copy of what btrfs says the pair uses (data, metadata, system); **nothing** (`none`): 0")
#: Measured with three repetitions of image and clone x deletion (classroom, 24 MiB, seed 1).
_FOOTPRINT_SPREAD = (
    "Image and clone footprints vary a little between repetitions with the same history: by about 1 % (image) and "
    "0.2 % (clone). ext4 decides where a file's blocks go when the kernel writes them back, on its own timing, and "
    "a clone keeps every non-zero 64 KiB block while an incremental image keeps every 1 MiB chunk a changed block "
    "falls in, so the same changes touch a different number of them. The system disks are mounted with `discard` "
    "and `commit=300` (set in their superblock), which took the spread down from 7 % and 2.5 %: freed blocks no "
    "longer keep old data for a clone to copy, and the journal is committed when the workload syncs, not every "
    "5 s of wall time. `mkfs.ext4 -E lazy_itable_init=0,lazy_journal_init=0` changes nothing here (mke2fs "
    "discards an image file before formatting it, so its inode tables already count as zeroed). Two whole runs of "
    "the classroom matrix (210 cells, seed 1) differed by at most 1.6 % in image footprints (4.9 % in "
    "bad-sectors, 2.1 % for partclone), 0.3 % for raid1 and rsnapshot, and not at all for the clone but in "
    "read-errors (14 %, where it copies around the unreadable sectors of a served disk; not yet explained); "
    "`protected_bytes` of the disks by at most 0.004 % (raid1: 0.3 %)")

COLUMNS: tuple[Column, ...] = (
    Column("strategy", "string", "`none`, `image`, `backup`, `clone`, `mirror-sync`, `mirror-continuous`, "
           "`mirror-two-way`, `raid1`: the strategy, whichever engine runs it (see `engine`)", identity=True),
    Column("variant", "string", "`quick-check` / `checksum` for the mirrors, `none` / `repokey` for borg; empty "
           "otherwise; `online-target` is "
           "added (joined with `+`) when the scenario says `targets: online` and that puts a normally offline target "
           "(image, backup, clone) within ransomware's reach; `offline-target` when it says `targets: detached` and "
           "that attaches a mirror's normally live target only while its runs use it", identity=True),
    Column("family", "string", "the kind of copy the strategy keeps: `image`, `backup`, `clone`, `mirror`, `raid1` or "
           "`none`; every engine of a family runs on the same schedule and keeps its points alike",
           identity=True),
    Column("engine", "string", "who runs the strategy: `workbench` (the workbench's own engine) or the real tool "
           "(`restic`, `borg`, `rsnapshot`, ...); the strategy's results name is `strategy/engine` for a tool's",
           identity=True),
    Column("scope", "string", "what the strategy covers: `whole-disk` (image, clone), `folders` (the users' homes: "
           "backup and the mirrors), `filesystem` (raid1), `nothing` (the `none` baseline); empty when the cell "
           "failed before its strategy was set up", identity=True),
    Column("scenario", "string", "`deletion`, `bitrot`, `bad-sectors`, `ransomware`, `ransomware-offline-mirror`, "
           "`slow-ransomware`, `partition-wipe`, `boot-wipe`, `superblock`, `disk-loss`, `target-corruption`, "
           "`crash-during-protect`, `bad-week`, `two-way-conflict`, or a scenario file's name", identity=True),
    Column("repetition", "int64", "which repetition of the cell (from 1); repetitions vary the timings, and the "
           "image's and clone's footprints a little (see `footprint_bytes`)", identity=True),
    Column("seed", "int64", "the seed of the data and the faults: the same seed gives the same outcomes",
           identity=True),
    Column("profile", "string", "the workload profile the source disk was built from", identity=True),
    Column("status", "string", "`ok`, or `failed` when the cell raised (every measure is then missing)",
           identity=True),
    Column("error", "string", "why the cell failed: the exception's type and message; empty when ok",
           identity=True),
    Column("fill", "float64", "the share of the root filesystem's capacity the data fills at its fullest (just before "
           "the latest fault of the matrix's scenarios), as `compare --fill` sized the disks for it; NaN: the default "
           "sizing (a disk of twice the data plus 96 MiB, at least 128 MiB). A disk is never below its layout's "
           "minimum (60 MiB) nor a raid1 half below 128 MiB: a cell on such a floor is emptier than this says "
           "(see `experiment/sizing.py`). Filled in a failed row too", unit="ratio"),
    Column("protect_s", "float64", "seconds of all protect runs up to the detection", unit="s", clock="real",
           counts="successful runs only; a killed or failed run adds nothing. A continuous mirror's run is a "
           "simulated hour in which its watcher applied changes (the first full sync included): the seconds of "
           "those syncs. raid1 makes no runs (its writes are the filesystem's own): 0", summary="range"),
    Column("protect_runs", "int64", "protect runs made", unit="count",
           counts="successful runs; a continuous mirror's: the simulated hours in which it applied changes"),
    Column("protect_s_median", "float64", "median seconds of one protect run (NaN when none ran)", unit="s",
           clock="real", summary="range"),
    Column("protect_failures", "int64", "protect runs that failed (e.g. of a broken disk)", unit="count"),
    Column("read_errors", "int64", "read errors the strategy's protect runs met and reported: what its engine "
           "could not read off a disk with bad sectors (the `read-errors` fault), and skipped or copied around",
           unit="count", counts="per run, then summed: files and folders a file-level engine left out (its log's "
           "error lines, for a real tool), unreadable ranges a block-level engine copied around, and 1 for a run "
           "that stopped on an I/O error; a continuous mirror's watcher counts like a run. 0 when every read "
           "succeeded, and for strategies with no runs after the fault (none, raid1)"),
    Column("points_at_fault", "int64", "restore points the target held when the first fault struck",
           unit="count"),
    Column("footprint_bytes", "int64", "bytes on the target at fault time. " + _FOOTPRINT_SPREAD, unit="bytes",
           counts="allocated bytes (`st_blocks` × 512) of the target's files, not their apparent size",
           summary="median"),
    Column("reserved_bytes", "int64", "capacity tied up: a clone reserves a whole disk, raid1 a second disk; "
           "the footprint for everything else", unit="bytes",
           counts="the clone's disk files and raid1's second half at their apparent size", summary="median"),
    Column("usable_bytes", "int64", "what the target's own filesystem says it can hold (df's Size): the clone disk's "
           "root filesystem (from its superblock), raid1's pair (btrfs: both halves over its data ratio); NaN for "
           "every other strategy, whose target is files on another filesystem", unit="bytes",
           counts="capacity for files, after the filesystem's own overhead", summary="median"),
    Column("protected_bytes", "int64", "the data in the strategy's scope at fault time, as really stored",
           unit="bytes", counts=_SCOPE_PROTECTED, summary="median"),
    Column("protected_logical_bytes", "int64", "the same data as `ls` sizes it", unit="bytes",
           counts=_LOGICAL + "; under the strategy's folders when it covers folders, the whole root tree for a disk "
           "or filesystem (the ESP's files left out), 0 for `none`", summary="median"),
    Column("space_amplification", "float64", "`footprint_bytes / protected_bytes`: below 1 means compression or "
           "deduplication, about 2 a second copy of everything (NaN when nothing is in scope)", unit="ratio",
           summary="median"),
    Column("rto_s", "float64", "seconds to recover, every step the user takes but the strategy's verify: "
           "reading the live disk (fsck, every file read back), then either rebuilding or attaching the disk, or "
           "listing points against the live tree (back through the history when looking for rot) and a targeted "
           "restore of only the paths missing or damaged", unit="s", clock="real", summary="range"),
    Column("recovery_level", "string", "`disk` (rebuilt or swapped the disk: it no longer worked, or the scenario "
           "says `noticed: failing-disk`, as with bad sectors the disk reports) or `files` (copied files back into "
           "the live disk)"),
    Column("restore_point_time", "string", "the point used (a mirror's point is its last sync: for a continuous "
           "mirror the last simulated hour it applied changes; raid1's is the pair, stamped in step every simulated "
           "hour); the newest one when files came from several; empty when none was", unit="ISO time",
           clock="simulated"),
    Column("files_restored", "int64", "files copied back in a file-level recovery (what a point's listing shows "
           "missing, encrypted, unreadable or rotten)", unit="count"),
    Column("damage_detected", "bool", "the strategy's own verify or scrub found damage in its target"),
    Column("files_intact", "int64", "the judge's category: content and metadata as before", unit="count",
           counts=_JUDGED, summary="median"),
    Column("files_missing", "int64", "the judge's category: not there", unit="count", counts=_JUDGED,
           summary="median"),
    Column("files_corrupted", "int64", "the judge's category: content that never was a true version",
           unit="count", counts=_JUDGED, summary="median"),
    Column("files_stale", "int64", "the judge's category: an earlier true version", unit="count", counts=_JUDGED,
           summary="median"),
    Column("files_metadata_differs", "int64", "the judge's category: content right, metadata (mode, owner, "
           "mtime, xattrs, hard links, sparseness) differs", unit="count", counts=_JUDGED, summary="median"),
    Column("files_unexpected", "int64", "the judge's category: there, but not in the pre-fault tree (extra)",
           unit="count", counts=_JUDGED, summary="median"),
    Column("bytes_intact", "int64", "bytes of intact files (content right; metadata may differ)", unit="bytes",
           counts=_LOGICAL),
    Column("bytes_lost", "int64", "bytes of missing + corrupted files", unit="bytes", counts=_LOGICAL),
    Column("bytes_stale", "int64", "bytes of files brought back in an older version", unit="bytes",
           counts=_LOGICAL),
    Column("came_back_clean", "bool", "no file on the recovered system holds content that never was a true "
           "version (ciphertext, rot)", summary="share"),
    Column("rpo_hours", "float64", "how far back in time the in-scope data came back: of the regular files of the "
           "pre-fault tree in the strategy's scope, the oldest age, where a file that came back as a true version is "
           "as old as the newest recorded state that held that content (0: its pre-fault content), and a file that "
           "did not come back but no point ever held (born after the newest point) is as old as that newest point. "
           "`inf` (unbounded: `inf` in CSV and Parquet, null in the cells' JSON, \"lost\" in the report) when any "
           "in-scope file a point once held did not come back, or the strategy keeps no point; NaN when the scope "
           "holds no file. Loss outside the scope shows only in `bytes_lost` and the file counts. Rule: "
           "`experiment/scoring.py::rpo`", unit="h", clock="simulated",
           counts="ages from the fault hour; the recorded states are the pre-fault tree and each point's capture "
           "(a continuous mirror's: each hour it applied changes; raid1's: every hour)", summary="median"),
    Column("data_lost_for_good", "bool", "in-scope data is gone for good: some in-scope file that a restore point "
           "once held did not come back, or the strategy keeps no point and some in-scope file did not come back "
           "(then `rpo_hours` is `inf`)", summary="share"),
    Column("target_damage_by", "string", "how damage reached the strategy's target, from the fault records and the "
           "strategy's own records of its runs: `attack` (the injector reached the target directly: ransomware "
           "walking a reachable mirror or repository, target corruption), `propagation` (a protect run after the "
           "fault put the damage there: a mirror wrote a damaged path or removed a deleted one; a backup, image or "
           "clone run copied changes after a fault that changed content; raid1's writes through the filesystem land "
           "on its mirror half), `none`; `attack` when both. Rule: `experiment/damage_path.py`"),
    Column("conflicts", "int64", "conflicts the strategy's runs met and resolved (only a two-way sync detects "
           "them, and keeps both versions; 0 for every other strategy)", unit="count"),
    Column("versions_lost", "int64", "of the versions conflicting edits wrote (on the machine, and on a second "
           "machine's copy: a mirror's target), those no tree holds afterwards under any name: neither the "
           "recovered machine nor the copy; NaN when the scenario makes no such edits", unit="count",
           counts="versions by content (BLAKE3 and size): a conflict copy keeps one"),
    Column("partition_table_ok", "bool", "the recovered disk's partition entries equal the pre-fault disk's (a "
           "freshly made disk does not pass); NaN when the machine is not a partitioned disk (raid1)",
           summary="share"),
    Column("boot_ok", "bool", "the recovered disk starts. With `boot_check` = `booted`: a real boot under QEMU "
           "(UEFI firmware, on a throw-away overlay) reached multi-user and printed this boot's nonce; otherwise "
           "(`bytes`) what the firmware runs is the pre-fault disk's: the boot code (bytes 0-439) and the ESP's "
           "boot loader (`EFI/BOOT/BOOTX64.EFI`). NaN for raid1", summary="share"),
    Column("boot_s", "float64", "seconds the boot check's boot took, from starting the machine to its verdict "
           "(multi-user, or the failure seen); NaN when no boot ran", unit="s", clock="real", summary="range"),
    Column("boot_check", "string", "how `boot_ok` was judged: `booted` (`compare --boot-check`, a profile with an "
           "OS: the recovered disk was booted, after a disk-level recovery or whenever its partition entries, boot "
           "code or ESP files changed; a disk that is gone counts as not booting), `bytes` (the byte check), "
           "empty when `boot_ok` is NaN"),
    Column("esp_ok", "bool", "the recovered disk's ESP files equal the pre-fault disk's; NaN for raid1",
           summary="share"),
    Column("fsck_clean", "bool", "e2fsck finds the recovered root clean; NaN for raid1", summary="share"),
    Column("fs_uuid_ok", "bool", "the recovered root filesystem's UUID equals the pre-fault one; NaN for raid1",
           summary="share"),
    Column("watch_events", "int64", "file-system events a continuous mirror's watcher (inotify) saw, from the "
           f"first protect to the recovery; {_NO_WATCHER}", unit="count"),
    Column("watch_errors", "int64", "batches the watcher failed to apply (the mirror fell behind until the next "
           f"full sync); {_NO_WATCHER}", unit="count"),
    Column("propagation_delay_median_s", "float64", "per changed path, from the first event the watcher saw for "
           "it to the change applied on the mirror, the median; includes the watcher's batching delay; "
           f"{_NO_WATCHER} or when no change was applied", unit="s", clock="real"),
    Column("propagation_delay_max_s", "float64", "the same delay's maximum", unit="s", clock="real"),
    Column("fault_hour", "int64", "when the damage to the user's data began (the detection hour when only the "
           "protection is struck)", unit="h", clock="simulated", counts="hours since day 0 00:00"),
    Column("detect_hour", "int64", "when the damage was noticed", unit="h", clock="simulated",
           counts="hours since day 0 00:00"),
)

#: Columns the report computes from a table; they are never stored.
DERIVED: tuple[Column, ...] = (
    Column("intact_fraction", "float64", "`bytes_intact / (bytes_intact + bytes_lost + bytes_stale)` over the "
           "judged bytes; NaN for a failed row or when nothing was judged", unit="ratio", summary="median"),
)

NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
IDENTITY: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.identity)
_STORED = frozenset(NAMES)
_BY_NAME = {c.name: c for c in COLUMNS + DERIVED}


def column(name: str) -> Column:
    """The declaration of a stored or derived column."""
    return _BY_NAME[name]


def names(*, dtype: Dtype | None = None, summary: Summary | None = None,
          columns: Iterable[Column] = COLUMNS) -> tuple[str, ...]:
    """Column names in schema order, of one type and/or one summary kind."""
    return tuple(c.name for c in columns
                 if (dtype is None or c.dtype == dtype) and (summary is None or c.summary == summary))


class Row(dict[str, Any]):
    """One results row: every column of the schema in schema order, each value of its column's type or missing.

    Build it with ``Row.measured`` (a cell that ran: every column given) or
    ``Row.failed`` (a cell that raised: which cell and the error, every measure
    missing). It is a plain mapping for everyone who reads it.
    """

    @classmethod
    def measured(cls, **values: Any) -> Row:
        missing = [n for n in NAMES if n not in values]
        if missing:
            raise TypeError(f"a results row lacks the column(s) {', '.join(missing)}")
        return cls._checked(values)

    @classmethod
    def failed(cls, error: str, **identity: Any) -> Row:
        values = {**dict.fromkeys(NAMES), **identity, "status": "failed", "error": error}
        missing = [n for n in IDENTITY if values[n] is None]
        if missing:
            raise TypeError(f"a failed row still says which cell it is: give {', '.join(missing)}")
        return cls._checked(values)

    @classmethod
    def _checked(cls, values: dict[str, Any]) -> Row:
        unknown = [n for n in values if n not in _STORED]
        if unknown:
            raise TypeError(f"not results column(s): {', '.join(unknown)} (declare them in results/schema.py)")
        for c in COLUMNS:
            if not c.accepts(values[c.name]):
                raise TypeError(f"column {c.name} holds {c.dtype}, not {values[c.name]!r}")
        return cls((n, values[n]) for n in NAMES)
