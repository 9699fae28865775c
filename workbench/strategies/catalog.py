"""Every strategy the workbench measures, one row each: the table the CLI, the matrix, the report and the docs read.

A row is named as the results name it (``mirror-sync``). It says which family
the strategy belongs to, which engine runs it, what it covers, how people
usually schedule it and which CLI command drives it. An engine of another tool
(a real tool run as a subprocess, ``strategies/external/``) is written after a
slash and a variant after a colon, ``STRATEGY[/ENGINE][:VARIANT]``:
``mirror-sync:checksum``, ``backup/restic``, ``backup/borg:repokey``; a bare
strategy name means the workbench's own engine, and ``backup/*`` every engine of
the strategy. A row for such an engine is one more line here: the experiment
finds its module by the engine's name, and gives it its strategy's schedule
(the same policy for every engine of a family, so point counts and footprints
compare).

This module is pure data (it imports nothing of the package but its errors), so
every layer can read it: the experiment engine builds what a row names, the CLI
generates its strategy verbs from it, and the report orders and labels by it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import UsageError

#: The workbench's own engines. A row of this engine is named by its strategy alone.
WORKBENCH = "workbench"
#: The verbs every strategy command has, in the order ``--help`` lists them.
COMMON_VERBS = ("protect", "points", "restore", "verify")


@dataclass(frozen=True)
class StrategyRow:
    """One strategy as the results, the matrix and the CLI know it."""

    strategy: str  # 'mirror-sync'
    family: str  # 'mirror': strategies of a family keep the same kind of copy
    scope: str  # what it covers: whole-disk, folders, filesystem, nothing (see strategies.base.Scope)
    source: str  # what protect reads: 'disk' (an image file) or 'tree' (a mounted root or a folder)
    schedule: str  # how people usually run it, in experiment.schedule's syntax
    summary: str  # one line for --help and the docs
    command: str | None = None  # the CLI command that drives it; None for the 'none' baseline
    mode: str | None = None  # the command's --mode value that selects it, when the command has several
    verbs: tuple[str, ...] = ()  # the command's verbs for it
    variants: tuple[str, ...] = ()  # what may follow a colon; the first is the default
    engine: str = WORKBENCH
    demo: bool = True  # part of the 'demo' selection ('make demo')

    @property
    def name(self) -> str:
        """The results name: the strategy, with ``/engine`` for an engine other than the workbench's."""
        return self.strategy if self.engine == WORKBENCH else f"{self.strategy}/{self.engine}"

    @property
    def default_variant(self) -> str:
        return self.variants[0] if self.variants else ""


_MIRROR_VARIANTS = ("quick-check", "checksum")
#: One schedule for every engine of the backup strategy: the same policy, so point counts compare.
_BACKUP_SCHEDULE = "daily@02"

STRATEGIES: tuple[StrategyRow, ...] = (
    StrategyRow("none", "none", "nothing", "disk", "never",
                "the baseline: nothing kept, so the user has only what the disk still holds"),
    StrategyRow("image", "image", "whole-disk", "disk", "weekly@01+daily@01",
                "whole-disk images, full and incremental, verified chunk by chunk",
                command="image", verbs=(*COMMON_VERBS, "forget", "extract")),
    StrategyRow("backup", "backup", "folders", "tree", _BACKUP_SCHEDULE,
                "versioned, deduplicated file backup of the users' folders",
                command="backup", verbs=(*COMMON_VERBS, "forget", "prune")),
    StrategyRow("clone", "clone", "whole-disk", "disk", "weekly@03",
                "an exact, sparse replica disk, refreshed by changed blocks",
                command="clone", verbs=COMMON_VERBS),
    StrategyRow("mirror-sync", "mirror", "folders", "tree", "hourly",
                "one-way sync of the users' folders, like rsync -a --delete",
                command="mirror", mode="sync", verbs=COMMON_VERBS, variants=_MIRROR_VARIANTS),
    StrategyRow("mirror-continuous", "mirror", "folders", "tree", "continuous",
                "one-way sync of each change as it happens (inotify), like lsyncd",
                command="mirror", mode="continuous", verbs=COMMON_VERBS, variants=_MIRROR_VARIANTS),
    StrategyRow("mirror-two-way", "mirror", "folders", "tree", "hourly",
                "two-way sync, like Unison: changes on either side propagate",
                command="mirror", mode="two-way", verbs=COMMON_VERBS, demo=False),
    StrategyRow("raid1", "raid1", "filesystem", "tree", "continuous",
                "the filesystem itself on a btrfs raid1 pair of disks",
                command="mirror", mode="raid1", verbs=COMMON_VERBS),
    StrategyRow("backup", "backup", "folders", "tree", _BACKUP_SCHEDULE,
                "restic: encrypted, deduplicated snapshots of the users' folders", engine="restic", demo=False),
    StrategyRow("backup", "backup", "folders", "tree", _BACKUP_SCHEDULE,
                "borg: deduplicated archives of the users' folders, unencrypted or with a key in the repository",
                variants=("none", "repokey"), engine="borg", demo=False),
    StrategyRow("backup", "backup", "folders", "tree", _BACKUP_SCHEDULE,
                "rsnapshot: rsync snapshots hard-linked to the one before, rotated hourly and daily",
                engine="rsnapshot", demo=False),
    StrategyRow("mirror-sync", "mirror", "folders", "tree", "hourly", "rsync -aHAX --delete of the users' folders",
                variants=_MIRROR_VARIANTS, engine="rsync", demo=False),
    StrategyRow("mirror-two-way", "mirror", "folders", "tree", "hourly", "unison -batch of the users' folders",
                engine="unison", demo=False),
    StrategyRow("image", "image", "whole-disk", "disk", "weekly@01+daily@01",
                "partclone of every partition through zstd, GPT and boot area raw; every point full",
                engine="partclone", demo=False),
)


@dataclass(frozen=True)
class Choice:
    """A parsed ``STRATEGY[/ENGINE][:VARIANT]``: the row, and the variant (the default one when none was named)."""

    row: StrategyRow
    variant: str

    @property
    def name(self) -> str:
        return self.row.name


def names(rows: Iterable[StrategyRow] = STRATEGIES) -> tuple[str, ...]:
    """The results names, in the table's order (the order figures and tables list strategies in)."""
    return tuple(row.name for row in rows)


def row(name: str) -> StrategyRow:
    """The row of a results name ('mirror-sync', later 'backup/restic')."""
    for candidate in STRATEGIES:
        if candidate.name == name:
            return candidate
    raise UsageError(f"unknown strategy '{name}': choose from {', '.join(names())}")


def parse(text: str) -> Choice:
    """'mirror-sync:checksum' -> the mirror-sync row and 'checksum'; checks the engine and the variant."""
    head, _, variant = text.strip().partition(":")
    strategy, _, engine = head.partition("/")
    family = [r for r in STRATEGIES if r.strategy == strategy]
    if not family:
        raise UsageError(f"unknown strategy '{strategy}': choose from {', '.join(names())}")
    engine = engine or WORKBENCH
    found = next((r for r in family if r.engine == engine), None)
    if found is None:
        raise UsageError(f"{strategy} has no engine '{engine}': its engines are {', '.join(r.engine for r in family)}")
    if variant and variant not in found.variants:
        raise UsageError(f"unknown variant '{variant}' of {found.name}: "
                         f"variants are {', '.join(found.variants) or 'none'}")
    return Choice(found, variant or found.default_variant)


def select(text: str) -> list[str]:
    """'all', 'demo' or a comma-separated list of strategies (with variants) -> the list, each one checked.

    ``STRATEGY/*`` stands for every engine of the strategy, in the table's order.
    """
    chosen = text.strip()
    if chosen == "all":
        return list(names())
    if chosen == "demo":
        return list(names(r for r in STRATEGIES if r.demo))
    given = [part.strip() for part in chosen.split(",") if part.strip()]
    if not given:
        raise UsageError("no strategy given: name some, e.g. backup,mirror-sync, or 'all' or 'demo'")
    expanded: list[str] = []
    for item in given:
        expanded += engines_of(item) if item.endswith("/*") else [item]
    for item in expanded:
        parse(item)
    return list(dict.fromkeys(expanded))


def engines_of(text: str) -> list[str]:
    """'backup/*' -> the results names of every engine of the backup strategy, ours first."""
    strategy = text.strip().removesuffix("/*")
    found = [r.name for r in STRATEGIES if r.strategy == strategy]
    if not found:
        known = ", ".join(dict.fromkeys(r.strategy for r in STRATEGIES))
        raise UsageError(f"unknown strategy '{strategy}': choose from {known}")
    return found


def commands() -> tuple[str, ...]:
    """The CLI commands that drive strategies, in the table's order."""
    return tuple(dict.fromkeys(r.command for r in STRATEGIES if r.command))


def rows_of(command: str) -> tuple[StrategyRow, ...]:
    """The rows a CLI command drives (one, or one per --mode)."""
    found = tuple(r for r in STRATEGIES if r.command == command)
    if not found:
        raise UsageError(f"'{command}' drives no strategy: the strategy commands are {', '.join(commands())}")
    return found


def verbs_of(command: str) -> tuple[str, ...]:
    """The verbs of a strategy command: the common ones first, then its own, in the table's order."""
    return tuple(dict.fromkeys(verb for r in rows_of(command) for verb in r.verbs))


def modes_of(command: str) -> tuple[str, ...]:
    """The --mode values of a command that drives several strategies ('sync', 'two-way'...); () otherwise."""
    return tuple(r.mode for r in rows_of(command) if r.mode)


def by_mode(command: str, mode: str) -> StrategyRow:
    """The row a command's --mode selects: ('mirror', 'two-way') -> mirror-two-way."""
    for candidate in rows_of(command):
        if candidate.mode == mode:
            return candidate
    raise UsageError(f"unknown {command} mode '{mode}': use one of {', '.join(modes_of(command))}")


def external() -> tuple[StrategyRow, ...]:
    """The rows whose engine is another tool's (run as a subprocess), in the table's order."""
    return tuple(r for r in STRATEGIES if r.engine != WORKBENCH)


def default_schedules() -> dict[str, str]:
    """Results name -> the schedule people usually run it on."""
    return {r.name: r.schedule for r in STRATEGIES}


def markdown(rows: Sequence[StrategyRow] = STRATEGIES) -> str:
    """The table as Markdown, for the docs."""
    lines = ["| strategy | what it is | family | engine | scope | variants | default schedule | CLI |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cli = "-" if r.command is None else f"`workbench {r.command}`" + (f" `--mode {r.mode}`" if r.mode else "")
        variants = ", ".join(f"`{v}`" for v in r.variants) or "-"
        lines.append(f"| `{r.name}` | {r.summary} | {r.family} | {r.engine} | {r.scope} | {variants} | "
                     f"`{r.schedule}` | {cli} |")
    return "\n".join(lines) + "\n"
