"""One cell of the matrix: a strategy, a scenario, the data it runs on, and which repetition it is."""

from __future__ import annotations

from dataclasses import dataclass, field

from .scenario import Scenario


@dataclass(frozen=True)
class Cell:
    strategy: str  # a strategy name, optionally with ':variant' (mirror-sync:checksum)
    scenario: Scenario
    profile: str = "classroom"
    data_size: int | None = None
    seed: int = 1
    repetition: int = 1
    schedules: dict[str, str] = field(default_factory=dict)
    fill: float | None = None  # the share of the root the data fills at its fullest (None: the default sizing)
    disk_size: int | None = None  # the source disk's bytes, when the matrix sized it (None: sizing.disk_size_for)
    boot_check: bool = False  # boot the recovered disk to judge boot_ok (a profile with an OS; phases.boot_check)

    @property
    def label(self) -> str:
        return f"{strategy_label(self.strategy)}__{self.scenario.name}__r{self.repetition}"

    @property
    def all_schedules(self) -> dict[str, str]:
        """The scenario's schedule overrides, then the cell's own."""
        return {**self.scenario.schedules, **self.schedules}


def strategy_label(strategy: str) -> str:
    """A strategy's name as cell labels and their files spell it (``backup/restic`` -> ``backup-restic``)."""
    return strategy.replace(":", "-").replace("/", "-")
