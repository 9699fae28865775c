"""Which snapshots a keep-policy keeps: a pure function of their times.

Semantics follow restic's ``forget``: keep-last N keeps the N newest; keep-daily N keeps,
for each of the N most recent days that have snapshots, the newest of that day; keep-weekly
likewise per ISO week. A snapshot kept by any rule is kept, and the reasons are listed.
Times come from the caller (the simulated clock), never from the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ...errors import UsageError


@dataclass(frozen=True)
class KeepPolicy:
    last: int = 0
    daily: int = 0
    weekly: int = 0

    def __post_init__(self) -> None:
        if min(self.last, self.daily, self.weekly) < 0:
            raise UsageError("keep counts must be 0 or more")

    @property
    def empty(self) -> bool:
        return not (self.last or self.daily or self.weekly)


@dataclass
class RetentionPlan:
    keep: dict[str, list[str]] = field(default_factory=dict)  # id -> reasons
    forget: list[str] = field(default_factory=list)


def plan_retention(points: Sequence[tuple[str, datetime]], policy: KeepPolicy) -> RetentionPlan:
    """Decide keep/forget for (id, time) pairs; refuses an empty policy, which would forget everything."""
    if policy.empty:
        raise UsageError("no keep rule given: pass --keep-last, --keep-daily or --keep-weekly "
                         "(forgetting everything is refused)")
    newest_first = sorted(points, key=lambda p: p[1], reverse=True)
    plan = RetentionPlan()
    rules: list[tuple[str, int, Callable[[str, datetime], Hashable]]] = [
        ("last", policy.last, lambda point_id, _time: point_id),
        ("daily", policy.daily, lambda _id, time: time.date().isoformat()),
        ("weekly", policy.weekly, lambda _id, time: "{}-W{:02d}".format(*time.isocalendar()[:2])),
    ]
    for name, count, bucket_of in rules:
        seen: set[Hashable] = set()
        for point_id, time in newest_first:
            bucket = bucket_of(point_id, time)
            if bucket in seen:
                continue
            if len(seen) >= count:
                break
            seen.add(bucket)
            plan.keep.setdefault(point_id, []).append(name if name == "last" else f"{name} {bucket}")
    plan.forget = [point_id for point_id, _ in sorted(points, key=lambda p: p[1]) if point_id not in plan.keep]
    return plan
