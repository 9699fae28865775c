"""Every fault kind, one row each: its injector, how it reaches what it damages, and its options with defaults.

``workbench fault inject`` (through ``faults.registry.inject``) and the
matrix's strikes (``experiment.strikes.strike``) both call ``strike`` here, so
a kind has one injector and one set of defaults wherever it is used. A
scenario file and the CLI write an option the same way: ``whole_folder`` in
YAML is ``--whole-folder`` on the command line. Some options belong to one of
the two only: how many days slow ransomware takes exists on the simulated
clock, and the command a crash kills is given on the command line.

What a kind reaches (``access``):

- ``mounted``: the disk's mounted root filesystem, as users and malware do (deletion, ransomware);
- ``detached``: the raw bytes of the unmounted image file, under the filesystem (bit rot, wipes...);
- ``target``: what a strategy keeps (its target), at rest;
- ``process``: a running protect, killed part-way.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from .. import workspace
from ..errors import UsageError
from ..units import parse_size
from . import boot, crash, edits, files, loss, ransomware, table, target
from .records import FaultRecord, rng
from .select import MODES

Access = Literal["mounted", "detached", "target", "process"]
Origin = Literal["scenario", "cli"]


@dataclass(frozen=True)
class Option:
    """One option of a fault kind, as a scenario file names it (``whole_folder``; on the CLI ``--whole-folder``)."""

    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = str
    choices: tuple[str, ...] = ()
    scenario: bool = True  # a scenario file may set it
    cli: bool = True  # 'workbench fault inject' takes it

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def value(self, given: Any, kind: str) -> Any:
        """The given value, parsed and checked; the default when none is given."""
        if given is None:
            return self.default
        try:
            value = self.parse(given)
        except (TypeError, ValueError):
            raise UsageError(f"{self.name} '{given}' is not a valid value for a {kind} fault: {self.help}") from None
        if self.choices and value not in self.choices:
            raise UsageError(f"{self.name} of a {kind} fault is one of {', '.join(self.choices)}, not '{given}'")
        return value


class StruckDisk(Protocol):
    """The disk a fault strikes: a cell's machine, or a disk image at rest (``faults.registry.DiskAtRest``)."""

    image: Path

    def mount(self) -> Path: ...

    def unmount(self) -> None: ...

    def bitrot(self, *, seed: int, count: int, mode: str, folders: tuple[str, ...],
               at: datetime | None) -> FaultRecord: ...

    def bad_sectors(self, *, seed: int, count: int, where: str, folders: tuple[str, ...],
                    at: datetime | None) -> FaultRecord: ...

    def superblock(self, *, seed: int, at: datetime | None) -> FaultRecord: ...


@dataclass
class RansomCampaign:
    """Slow ransomware: the victims are chosen once, then struck a subset per day."""

    days: list[list[str]] = field(default_factory=list)


@dataclass
class Strike:
    """What an injector is given: the disk (mounted or detached as its kind needs), the settings, the moment."""

    disk: StruckDisk | None
    options: dict[str, Any]
    seed: int
    at: datetime | None
    folders: tuple[str, ...]  # the users' folders: where file-level damage chooses its victims
    targets: Sequence[Path] = ()  # target-corruption: what to corrupt; ransomware: what else is within reach
    day_index: int = 0  # slow ransomware: which day of the campaign this is
    campaign: RansomCampaign = field(default_factory=RansomCampaign)
    settle: Callable[[], None] = lambda: None  # let a continuous mirror copy the damage before it spreads
    root: Path | None = None  # the mounted root filesystem, for 'mounted' kinds
    copies: Mapping[str, Path] = field(default_factory=dict)  # conflicting edits: folder -> a copy elsewhere

    def option(self, name: str) -> Any:
        return self.options[name]

    @property
    def mounted_root(self) -> Path:
        """The mounted root filesystem: ``strike`` mounts one for every ``mounted`` kind."""
        assert self.root is not None
        return self.root

    @property
    def struck_disk(self) -> StruckDisk:
        """The disk: every ``mounted`` and ``detached`` kind is given one."""
        assert self.disk is not None
        return self.disk


Injector = Callable[[Strike], list[FaultRecord]]


@dataclass(frozen=True)
class FaultKind:
    name: str
    summary: str  # one line for --help and the docs
    access: Access
    injector: Injector
    options: tuple[Option, ...] = ()
    strikes_protection: bool = False  # it damages what a strategy keeps, not the user's data

    def accepts(self, origin: Origin) -> tuple[Option, ...]:
        return tuple(o for o in self.options if (o.scenario if origin == "scenario" else o.cli))

    def settings(self, given: Mapping[str, Any], origin: Origin = "scenario") -> dict[str, Any]:
        """Every option of the kind: the given ones parsed and checked, the others at their defaults.

        An option the kind does not take from ``origin`` is refused, naming the ones it does take.
        """
        allowed = {o.name for o in self.accepts(origin)}
        unknown = sorted(name for name in given if name not in allowed)
        if unknown:
            shown = (lambda n: "--" + n.replace("_", "-")) if origin == "cli" else str
            takes = ", ".join(shown(n) for n in sorted(allowed)) or "none"
            raise UsageError(f"unknown option '{shown(unknown[0])}' for a {self.name} fault; allowed: {takes}")
        return {o.name: o.value(given.get(o.name), self.name) for o in self.options}


def _argv(value: Any) -> list[str]:
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


# ------------------------------------------------------------------------------------------ injectors

def _deletion(s: Strike) -> list[FaultRecord]:
    if s.option("whole_folder"):
        return [files.delete_folder(s.mounted_root, seed=s.seed, folders=s.folders, at=s.at)]
    return [files.delete_files(s.mounted_root, seed=s.seed, count=s.option("count"), folders=s.folders, at=s.at)]


def _ransomware(s: Strike) -> list[FaultRecord]:
    """One day of the campaign (the only one, unless ``days`` spreads it), then the targets within reach."""
    root = s.mounted_root
    if not s.campaign.days:
        victims = ransomware.choose_victims(ransomware.candidates(root, s.folders), s.option("fraction"),
                                            rng("ransomware", s.seed))
        s.campaign.days = ransomware.split_days(victims, s.option("days"), rng("ransomware-days", s.seed))
    today = [name for name in s.campaign.days[s.day_index] if (root / name).exists()]
    records = [ransomware.encrypt_files(root, today, seed=s.seed, at=s.at)] if today else []
    s.settle()  # a continuous mirror copies the damage first; then the ransomware walks the mirror too
    online = [path for path in s.targets if path.is_dir()]
    if online:
        records.append(ransomware.encrypt_reachable_targets(online, seed=s.seed, at=s.at))
    return records


def _bitrot(s: Strike) -> list[FaultRecord]:
    return [s.struck_disk.bitrot(seed=s.seed, count=s.option("count"), mode=s.option("mode"), folders=s.folders,
                                 at=s.at)]


def _bad_sectors(s: Strike) -> list[FaultRecord]:
    """Where the sectors lie depends on the disk (a partitioned disk, a raid1 half): the disk places them."""
    return [s.struck_disk.bad_sectors(seed=s.seed, count=s.option("count"), where=s.option("where"),
                                      folders=s.folders, at=s.at)]


def _partition_wipe(s: Strike) -> list[FaultRecord]:
    return [table.wipe_table(s.struck_disk.image, which=s.option("which"), fill=s.option("fill"), seed=s.seed, at=s.at)]


def _boot_wipe(s: Strike) -> list[FaultRecord]:
    return [boot.wipe_boot_code(s.struck_disk.image, seed=s.seed, at=s.at)]


def _superblock(s: Strike) -> list[FaultRecord]:
    """Which superblock (ext4's on the root partition, btrfs' on a raid1 half) depends on the disk."""
    return [s.struck_disk.superblock(seed=s.seed, at=s.at)]


def _disk_loss(s: Strike) -> list[FaultRecord]:
    return [loss.lose_disk(s.struck_disk.image, seed=s.seed, at=s.at)]


def _target_corruption(s: Strike) -> list[FaultRecord]:
    """``count`` bits among everything the targets hold (one target, or the data folders of one repository)."""
    present = [path for path in s.targets if path.exists()]
    if not present:
        return []
    return [target.corrupt_target(present, seed=s.seed, count=s.option("count"), mode=s.option("mode"), at=s.at)]


def _conflicting_edits(s: Strike) -> list[FaultRecord]:
    return [edits.edit_both_sides(s.mounted_root, s.copies, seed=s.seed, count=s.option("count"), folders=s.folders,
                                  at=s.at)]


def _crash(s: Strike) -> list[FaultRecord]:
    """The command line's crash: run the given command and kill it. (A cell's crash is the runner's: it
    kills the cell's own protect run, part-way through a typical one: ``after_fraction``.)"""
    command = s.option("run")
    if not command:
        raise UsageError("a crash needs the command to run and kill: add --run 'workbench ... protect ...'")
    return [crash.crash_during(command, after_s=s.option("after"), when_path=s.option("when_path"),
                               min_bytes=s.option("min_bytes"), seed=s.seed, at=s.at)]


# ------------------------------------------------------------------------------------------ the table

def _count(default: int, what: str) -> Option:
    return Option("count", default, what, parse=int)


_MODE = Option("mode", "uniform", "bit flips spread out, or clustered within 64 KiB", choices=MODES)

KINDS: tuple[FaultKind, ...] = (
    FaultKind("deletion", "files, or one whole folder, deleted through the filesystem", "mounted", _deletion,
              (_count(1, "files to delete"),
               Option("whole_folder", False, "delete one whole folder instead of files", parse=_flag))),
    FaultKind("bitrot", "bits flipped in the data of the users' files, under the filesystem", "detached", _bitrot,
              (_count(8, "bits to flip"), _MODE)),
    FaultKind("bad-sectors", "consecutive sectors turned into random bytes", "detached", _bad_sectors,
              (_count(8, "sectors to spoil"),
               Option("where", "files", "under the users' files, in a partition (root, esp) or anywhere (disk)"))),
    FaultKind("ransomware", "a share of the users' files encrypted (AES-256-CTR) and renamed, a note left",
              "mounted", _ransomware,
              (Option("fraction", 0.5, "share of the files to encrypt, above 0 and at most 1", parse=float),
               Option("days", 1, "slow ransomware: spread over this many days, a subset a day", parse=int,
                      cli=False))),
    FaultKind("partition-wipe", "the protective MBR's entries and the GPT's copies overwritten", "detached",
              _partition_wipe,
              (Option("which", "both", "which table copies: both (with the MBR entries), primary or backup",
                      choices=table.WHICH),
               Option("fill", "zero", "zeros, or random garbage", choices=table.FILLS))),
    FaultKind("boot-wipe", "the boot code (bytes 0-439 of sector 0) zeroed", "detached", _boot_wipe),
    FaultKind("superblock", "the root filesystem's primary superblock XORed with random bytes", "detached",
              _superblock),
    FaultKind("disk-loss", "the disk image deleted: the disk is gone", "detached", _disk_loss),
    FaultKind("target-corruption", "bits flipped in what a strategy keeps (a repository, an image, a clone)",
              "target", _target_corruption, (_count(8, "bits to flip"), _MODE), strikes_protection=True),
    FaultKind("conflicting-edits", "the users' work, not damage: the same files edited on the machine and, "
              "differently and a minute later, on a second machine's copy (a mirror's target) before the next "
              "sync", "mounted", _conflicting_edits, (_count(3, "files to edit on both sides"),),
              strikes_protection=True),
    FaultKind("crash-during-protect", "a protect run killed with SIGKILL part-way", "process", _crash,
              (Option("after_fraction", 0.5, "kill after this share of a typical run (its bytes, else its time)",
                      parse=float, cli=False),
               Option("run", (), "the command to run and kill, quoted as one argument", parse=_argv,
                      scenario=False),
               Option("after", None, "kill after this many seconds", parse=float, scenario=False),
               Option("when_path", None, "kill when this file or folder appears (or grows past --min-bytes)",
                      parse=workspace.resolve, scenario=False),
               Option("min_bytes", 0, "the size --when-path must reach, e.g. 1M", parse=parse_size,
                      scenario=False)),
              strikes_protection=True),
)


def names() -> tuple[str, ...]:
    return tuple(k.name for k in KINDS)


def kind(name: str) -> FaultKind:
    for candidate in KINDS:
        if candidate.name == name:
            return candidate
    raise UsageError(f"unknown fault kind '{name}': choose one of {', '.join(names())}")


def strike(name: str, disk: StruckDisk | None, *, options: Mapping[str, Any], seed: int, at: datetime | None,
           folders: Sequence[str], targets: Sequence[Path] = (), day_index: int = 0,
           campaign: RansomCampaign | None = None, settle: Callable[[], None] = lambda: None,
           copies: Mapping[str, Path] | None = None, origin: Origin = "scenario") -> list[FaultRecord]:
    """Inject one fault of kind ``name`` (or one day of a slow one); return the records of what it damaged.

    The disk is mounted first for a ``mounted`` kind and unmounted for the others
    (raw bytes, and targets at rest, are only struck with the filesystem down).
    """
    row = kind(name)
    root = None
    if disk is not None:
        if row.access == "mounted":
            root = disk.mount()
        else:
            disk.unmount()
    context = Strike(disk=disk, options=row.settings(options, origin), seed=seed, at=at, folders=tuple(folders),
                     targets=targets, day_index=day_index, campaign=campaign or RansomCampaign(), settle=settle,
                     root=root, copies=dict(copies or {}))
    return row.injector(context)


def markdown() -> str:
    """The table as Markdown, for the docs."""
    lines = ["| fault kind | what it does | reaches | options (default) |", "|---|---|---|---|"]
    for k in KINDS:
        options = ", ".join(f"`{o.name}` = {_shown(o.default)}" + ("" if o.cli else " (scenarios only)")
                            + ("" if o.scenario else " (CLI only)") for o in k.options) or "-"
        lines.append(f"| `{k.name}` | {k.summary} | {k.access} | {options} |")
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    if value is None or value == ():
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)
