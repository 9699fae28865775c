"""The strategies the engine knows, by the names results use, and how each is set up for a cell.

Names: ``none``, ``image``, ``backup``, ``clone``, ``mirror-sync``,
``mirror-continuous``, ``mirror-two-way``, ``raid1``. A variant follows a
colon: ``mirror-sync:checksum``. What each covers by default follows how
people use it: image and clone the whole disk; backup and the mirrors the
users' folders (``home``); raid1 the filesystem that lives on it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import UsageError
from .protection import HOME, ClonedDisk, ContinuousTree, DiskProtection, NoProtection, Protection, TreeProtection
from .schedule import DEFAULT_SCHEDULES, parse_schedule

STRATEGIES = ("none", "image", "backup", "clone", "mirror-sync", "mirror-continuous", "mirror-two-way", "raid1")
VARIANTS = {"mirror-sync": ("quick-check", "checksum"), "mirror-continuous": ("quick-check", "checksum")}


def strategy_spec(text: str) -> tuple[str, str]:
    """'mirror-sync:checksum' -> ('mirror-sync', 'checksum'); checks both (pure)."""
    name, _, variant = text.partition(":")
    if name not in STRATEGIES:
        raise UsageError(f"unknown strategy '{name}': choose from {', '.join(STRATEGIES)}")
    allowed = VARIANTS.get(name, ())
    if variant and variant not in allowed:
        choices = ", ".join(allowed) or "none"
        raise UsageError(f"unknown variant '{variant}' of {name}: variants are {choices}")
    return name, variant or (allowed[0] if allowed else "")


def _none(target: Path, variant: str = "", **common) -> Protection:
    from ..strategies.none import NoStrategy

    return NoProtection(strategy=NoStrategy(), target=target, **common)


def _image(target: Path, variant: str = "", **common) -> Protection:
    from ..strategies.image.engine import ImageStrategy

    return DiskProtection(strategy=ImageStrategy(), target=target, options={"weekly": {"full": True}}, **common)


def _clone(target: Path, variant: str = "", **common) -> Protection:
    from ..strategies.clone import CloneStrategy

    return ClonedDisk(strategy=CloneStrategy(), target=target / "clone.img", **common)


def _backup(target: Path, variant: str = "", **common) -> Protection:
    from ..strategies.backup.engine import BackupStrategy
    from ..strategies.backup.snapshot import Selection

    return TreeProtection(strategy=BackupStrategy("incremental", Selection(folders=HOME)), target=target,
                          folders=HOME, **common)


def _mirror(cls_name: str, continuous: bool = False, two_way: bool = False) -> Callable[..., Protection]:
    def make(target: Path, variant: str = "", *, name: str, **common) -> Protection:
        from ..strategies.mirror import strategies

        cls = getattr(strategies, cls_name)
        strategy = cls(checksum=variant == "checksum") if name in VARIANTS else cls()
        kind = ContinuousTree if continuous else TreeProtection
        return kind(name=name, strategy=strategy, target=target / "mirror", folders=HOME, subdir="home",
                    always_online=True, writes_source=two_way, **common)

    return make


def _raid1(target: Path, variant: str = "", **common) -> Protection:
    from ..strategies.mirror.strategies import Raid1Strategy
    from .raid1_machine import Raid1Protection

    return Raid1Protection(strategy=Raid1Strategy(), target=target / "raid1", **common)


_FACTORIES: dict[str, Callable[..., Protection]] = {
    "none": _none,
    "image": _image,
    "clone": _clone,
    "backup": _backup,
    "mirror-sync": _mirror("MirrorSync"),
    "mirror-continuous": _mirror("MirrorContinuous", continuous=True),
    "mirror-two-way": _mirror("MirrorTwoWay", two_way=True),
    "raid1": _raid1,
}


def make_protection(text: str, *, target: Path, scratch: Path, schedules: dict[str, str] | None = None) -> Protection:
    name, variant = strategy_spec(text)
    schedule = parse_schedule((schedules or {}).get(name, DEFAULT_SCHEDULES[name]))
    common = {"name": name, "schedule": schedule, "scratch": scratch}
    protection = _FACTORIES[name](target, variant=variant, **common)
    protection.variant = variant
    return protection
