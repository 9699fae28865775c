"""When each strategy protects (pure).

A schedule is written as text, so scenarios and the CLI can change it:
``continuous`` (a watcher, or RAID1: always in step), ``hourly``,
``daily@02`` (every day at 02:00), ``weekly@01`` (every 7 days at 01:00),
``never``. Several rules join with ``+``: ``weekly@01+daily@01`` is an image
schedule with a weekly full and daily incrementals; where two rules fire in
the same hour, the first one named wins (that gives the point its kind).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UsageError

_RULE = re.compile(r"^(hourly|never|continuous|(daily|weekly)@(\d{1,2}))$")


@dataclass(frozen=True)
class Rule:
    every_hours: int  # 0: never; -1: continuous
    at_hour: int
    label: str

    def fires(self, hour: int) -> bool:
        if self.every_hours <= 0:
            return False
        return hour % self.every_hours == self.at_hour % self.every_hours


@dataclass(frozen=True)
class Schedule:
    text: str
    rules: tuple[Rule, ...]

    @property
    def continuous(self) -> bool:
        return any(rule.every_hours == -1 for rule in self.rules)

    def event(self, hour: int) -> str | None:
        """The rule label ('weekly', 'daily', 'hourly') firing at this hour, or None."""
        for rule in self.rules:
            if rule.fires(hour):
                return rule.label
        return None

    def hours(self, start: int, end: int) -> list[int]:
        """Hours in [start, end) at which the schedule fires."""
        return [h for h in range(start, end) if self.event(h)]


def parse_schedule(text: str) -> Schedule:
    rules = []
    for part in text.replace(" ", "").split("+"):
        match = _RULE.match(part)
        if not match:
            raise UsageError(
                f"'{part}' is not a schedule: use continuous, hourly, daily@HH, weekly@HH, never, "
                "or rules joined with '+' (e.g. weekly@01+daily@01)"
            )
        kind, period, at = match.group(1), match.group(2), match.group(3)
        if kind == "hourly":
            rules.append(Rule(1, 0, "hourly"))
        elif kind == "never":
            rules.append(Rule(0, 0, "never"))
        elif kind == "continuous":
            rules.append(Rule(-1, 0, "continuous"))
        else:
            hour = int(at)
            if hour > 23:
                raise UsageError(f"'{part}': the hour must be 00 to 23, as in daily@HH")
            rules.append(Rule(24 if period == "daily" else 24 * 7, hour, period))
    return Schedule(text, tuple(rules))

