"""Scenarios: a timeline of faults in simulated time, read from YAML (pure).

A scenario file looks like::

    name: deletion
    summary: A folder of documents is deleted by mistake and missed the next morning.
    faults:
      - kind: deletion
        at: day 1 14:00
        whole_folder: true
    detect_at: day 2 09:00

The workload runs and every strategy protects on its schedule from day 0
00:00 until the first fault. From the first fault until the damage is
noticed (``detect_at``) the user makes no more changes, so the ground truth
is the state just before the fault; schedules keep running, which is how a
mirror or a refreshed clone picks up the damage. ``schedules`` overrides
strategies' schedules for this scenario. ``targets`` says where the targets
are between runs (``TARGETS``): ``offline`` (the default) keeps backup, image
and clone targets offline, the 3-2-1-1-0 rule's offline copy, while a mirror's
target stays a live folder on the machine, as people keep one; ``online``
leaves every target attached, within reach of ransomware; ``detached`` attaches
every target only while a protect run uses it, a mirror's too (a drive plugged
in for each sync), so what reaches a mirror is what its own runs copied. A
continuous mirror's target is attached by nature whatever the setting.
``noticed`` says what the user sees when ``detect_at`` comes: ``damaged-files``
(the default: missing or broken files, a ransom note) or ``failing-disk`` (the
disk reports errors, as SMART or the kernel would, so the user replaces it and
restores onto a new disk even though the old one still mounts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..faults import kinds
from ..workload.profile import DATASETS_DIR
from ..workload.yamlfile import LineDict, load
from .schedule import parse_schedule

SCENARIO_NAMES = (
    "deletion", "bitrot", "bad-sectors", "ransomware", "ransomware-offline-mirror", "slow-ransomware",
    "partition-wipe", "boot-wipe", "superblock", "disk-loss", "target-corruption", "crash-during-protect",
    "bad-week", "two-way-conflict", "read-errors",
)
#: What the 'demo' selection runs ('make demo'): the lessons that matter, in a few minutes.
DEMO_SCENARIOS = ("deletion", "slow-ransomware", "partition-wipe", "bitrot")
_TOP_KEYS = {"name", "summary", "faults", "detect_at", "schedules", "targets", "noticed", "profile", "data_size"}
NOTICED = ("damaged-files", "failing-disk")
TARGETS = ("offline", "online", "detached")
_AT = re.compile(r"^day\s+(\d+)\s+(\d{1,2}):00$")

SCENARIO_DIR = DATASETS_DIR / "scenarios"


@dataclass(frozen=True)
class FaultSpec:
    kind: str
    hour: int  # hours since day 0 00:00
    options: dict[str, Any] = field(default_factory=dict)  # as the scenario gives them (see faults.kinds)

    def settings(self) -> dict[str, Any]:
        """Every option of the kind: the scenario's, parsed, and the table's defaults for the rest."""
        return kinds.kind(self.kind).settings(self.options)

    def option(self, name: str) -> Any:
        """One option's value, the table's default when the scenario does not set it."""
        return self.settings()[name]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    faults: tuple[FaultSpec, ...]
    detect_hour: int
    schedules: dict[str, str] = field(default_factory=dict)
    targets: str = "offline"  # one of TARGETS
    disk_failing: bool = False  # noticed: failing-disk
    profile: str | None = None
    data_size: str | None = None
    source: str = ""

    @property
    def fault_hour(self) -> int:
        """When the damage began: the first fault."""
        return min(f.hour for f in self.faults)


def parse_at(text: str, where: str) -> int:
    """'day 2 09:00' -> 57 (hours since day 0 00:00)."""
    match = _AT.match(str(text).strip())
    if not match or int(match.group(2)) > 23:
        raise UsageError(f"{where}: '{text}' is not a time: write it like 'day 2 09:00'")
    return int(match.group(1)) * 24 + int(match.group(2))


def scenario_from_data(data: Any, source: str) -> Scenario:
    if not isinstance(data, dict):
        raise UsageError(f"{source}: a scenario is a mapping with name, faults and detect_at")
    line = data.line_of if isinstance(data, LineDict) else (lambda key: 0)
    for key in data:
        if key not in _TOP_KEYS:
            raise UsageError(f"{source}:{line(key)}: unknown key '{key}'; known keys: {', '.join(sorted(_TOP_KEYS))}")
    for key in ("name", "faults", "detect_at"):
        if key not in data:
            raise UsageError(f"{source}: the scenario has no '{key}'")
    faults = tuple(_fault(entry, f"{source}:{getattr(entry, 'line', 0)}") for entry in data["faults"] or [])
    if not faults:
        raise UsageError(f"{source}:{line('faults')}: a scenario needs at least one fault")
    detect = parse_at(data["detect_at"], f"{source}:{line('detect_at')}")
    if detect < max(f.hour for f in faults):
        raise UsageError(f"{source}:{line('detect_at')}: the damage is noticed before the last fault strikes")
    schedules = {str(k): str(v) for k, v in (data.get("schedules") or {}).items()}
    for text in schedules.values():
        parse_schedule(text)
    targets = str(data.get("targets", TARGETS[0]))
    if targets not in TARGETS:
        raise UsageError(f"{source}:{line('targets')}: targets is {', '.join(TARGETS)}, not '{targets}'")
    noticed = str(data.get("noticed", NOTICED[0]))
    if noticed not in NOTICED:
        raise UsageError(f"{source}:{line('noticed')}: noticed is {' or '.join(NOTICED)}, not '{noticed}'")
    return Scenario(
        name=str(data["name"]), summary=str(data.get("summary", "")), faults=faults, detect_hour=detect,
        schedules=schedules, targets=targets, disk_failing=noticed == "failing-disk",
        profile=data.get("profile"),
        data_size=data.get("data_size"), source=source,
    )


def _fault(entry: Any, where: str) -> FaultSpec:
    if not isinstance(entry, dict) or "kind" not in entry or "at" not in entry:
        raise UsageError(f"{where}: each fault needs a kind and an at ('day 1 14:00')")
    name = str(entry["kind"])
    if name not in kinds.names():
        raise UsageError(f"{where}: unknown fault kind '{name}'; known: {', '.join(kinds.names())}")
    options = {k: v for k, v in entry.items() if k not in ("kind", "at")}
    try:
        kinds.kind(name).settings(options)  # unknown options and bad values are refused here, not mid-run
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}") from None
    return FaultSpec(name, parse_at(entry["at"], where), options)


def load_scenario(name_or_path: str) -> Scenario:
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise UsageError(f"unknown scenario '{name_or_path}': known ones are {', '.join(known_scenarios())}")
    elif not path.exists():
        raise UsageError(f"scenario file '{name_or_path}' does not exist")
    return scenario_from_data(load(path), str(path))


def known_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def select(text: str, known: list[str] | tuple[str, ...], what: str) -> list[str]:
    """'all' or 'a,b' -> names, refusing unknown ones (pure)."""
    if text.strip() == "all":
        return list(known)
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in known:
            raise UsageError(f"unknown {what} '{name}': choose from all, {', '.join(known)}")
    return names
