"""How the experiment engine sets each strategy of the table up for a cell.

The strategies themselves, their names, variants, scopes and default schedules
are rows of ``workbench.strategies.catalog``; this module adds, per row, how a
cell builds its protection. What each covers by default follows how people use
it: image and clone the whole disk; backup and the mirrors the users' folders
(``home``); raid1 the filesystem that lives on it. Where the targets are between
runs also follows use: a mirror's target is a live folder on the machine (unless
a scenario says ``targets: detached``), a continuous mirror's always; the others
are offline between runs (unless ``targets: online``).

An engine of a real tool (``backup/restic``...) is built from its row alone: the
module ``workbench.strategies.external.<engine>`` makes the engine (its ``make``),
and the row's strategy says how it meets the machine, as the workbench's own engine
of that family does (``_EXTERNAL_BINDINGS``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..strategies import catalog, external
from .protection import HOME, ClonedDisk, ContinuousTree, DiskProtection, NoProtection, Protection, TreeProtection
from .schedule import parse_schedule

#: Results names, in the table's order.
STRATEGIES = catalog.names()
#: Results name -> its variants (the first is the default), for the strategies that have some.
VARIANTS = {row.name: row.variants for row in catalog.STRATEGIES if row.variants}


def strategy_spec(text: str) -> tuple[str, str]:
    """'mirror-sync:checksum' -> ('mirror-sync', 'checksum'); checks both (pure)."""
    choice = catalog.parse(text)
    return choice.name, choice.variant


def _none(target: Path, variant: str = "", **common: Any) -> Protection:
    from ..strategies.none import NoStrategy

    return NoProtection(strategy=NoStrategy(), target=target, **common)


def _image(target: Path, variant: str = "", **common: Any) -> Protection:
    from ..strategies.image.engine import ImageStrategy

    return DiskProtection(strategy=ImageStrategy(), target=target, options={"weekly": {"full": True}}, **common)


def _clone(target: Path, variant: str = "", **common: Any) -> Protection:
    from ..strategies.clone import CloneStrategy

    return ClonedDisk(strategy=CloneStrategy(), target=target / "clone.img", **common)


def _backup(target: Path, variant: str = "", **common: Any) -> Protection:
    from ..strategies.backup.engine import BackupStrategy
    from ..strategies.backup.snapshot import Selection

    return TreeProtection(strategy=BackupStrategy("incremental", Selection(folders=HOME)), target=target,
                          folders=HOME, **common)


def _mirror(continuous: bool = False, two_way: bool = False) -> Callable[..., Protection]:
    def make(target: Path, variant: str = "", *, name: str, **common: Any) -> Protection:
        from ..strategies import mirror

        strategy = mirror.make(catalog.row(name).mode or "", checksum=variant == "checksum")
        kind = ContinuousTree if continuous else TreeProtection
        return kind(name=name, strategy=strategy, target=target / "mirror", folders=HOME, subdir="home",
                    live_target=True, always_attached=continuous, tree_copy=True, writes_source=two_way, **common)

    return make


def _raid1(target: Path, variant: str = "", **common: Any) -> Protection:
    from ..strategies.mirror.raid1_mode import Raid1Strategy
    from .raid1_machine import Raid1Protection

    return Raid1Protection(strategy=Raid1Strategy(), target=target / "raid1", filesystem_is_target=True, **common)


def _backup_binding(engine: Any, target: Path, **common: Any) -> Protection:
    """A backup tool reads the mounted root and keeps the users' folders, offline between runs, as ours does."""
    return TreeProtection(strategy=engine, target=target, folders=HOME, **common)


def _mirror_binding(*, two_way: bool) -> Callable[..., Protection]:
    """A mirror tool keeps the users' home folder in a folder of its target, as our mirrors do."""
    def bind(engine: Any, target: Path, **common: Any) -> Protection:
        return TreeProtection(strategy=engine, target=target / "mirror", folders=HOME, subdir="home",
                              live_target=True, tree_copy=True, writes_source=two_way, **common)

    return bind


def _image_binding(engine: Any, target: Path, **common: Any) -> Protection:
    """An imaging tool reads the unmounted disk and restores whole disks, as our image does."""
    return DiskProtection(strategy=engine, target=target, **common)


#: Strategy -> how an external engine of it meets the machine, and what it covers of the tree it reads.
_EXTERNAL_BINDINGS: dict[str, tuple[Callable[..., Protection], tuple[str, ...]]] = {
    "backup": (_backup_binding, HOME),
    "mirror-sync": (_mirror_binding(two_way=False), HOME),
    "mirror-two-way": (_mirror_binding(two_way=True), HOME),
    "image": (_image_binding, ()),
}


def _external(target: Path, variant: str = "", *, name: str, scratch: Path, **common: Any) -> Protection:
    """An external engine's protection, from its catalog row: its module makes the engine, its strategy binds it."""
    row = catalog.row(name)
    bind, folders = _EXTERNAL_BINDINGS[row.strategy]
    engine = external.engine_module(row.engine).make(variant, folders=folders, state=scratch / f"{row.engine}-state")
    return bind(engine, target, name=name, scratch=scratch, **common)


#: Results name -> how a cell builds its protection: one entry per row of the strategy table.
_FACTORIES: dict[str, Callable[..., Protection]] = {
    "none": _none,
    "image": _image,
    "clone": _clone,
    "backup": _backup,
    "mirror-sync": _mirror(),
    "mirror-continuous": _mirror(continuous=True),
    "mirror-two-way": _mirror(two_way=True),
    "raid1": _raid1,
    **{row.name: _external for row in catalog.external()},
}


def engine_names(strategies: Sequence[str]) -> list[str]:
    """The external engines a list of strategy names runs ('backup/restic' -> 'restic'), each once."""
    engines = (catalog.parse(text).row.engine for text in strategies)
    return list(dict.fromkeys(engine for engine in engines if engine != catalog.WORKBENCH))


def make_protection(text: str, *, target: Path, scratch: Path, schedules: dict[str, str] | None = None) -> Protection:
    choice = catalog.parse(text)
    name = choice.name
    schedule = parse_schedule((schedules or {}).get(name, choice.row.schedule))
    common = {"name": name, "schedule": schedule, "scratch": scratch}
    protection = _FACTORIES[name](target, variant=choice.variant, **common)
    protection.variant = choice.variant
    return protection
