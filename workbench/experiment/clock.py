"""Simulated time: one injectable clock drives mtimes, restore-point times and retention.

Operations still run, and are timed, for real; only *when* they happen is simulated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)  # a Monday


@dataclass
class SimClock:
    start: datetime = DEFAULT_START
    hour: int = 0  # hours since start

    @property
    def now(self) -> datetime:
        return self.at(self.hour)

    def at(self, hour: float) -> datetime:
        return self.start + timedelta(hours=hour)

    def advance_to(self, hour: int) -> None:
        if hour < self.hour:
            raise AssertionError(f"the clock cannot go back from hour {self.hour} to {hour}")
        self.hour = hour
