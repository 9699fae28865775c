"""The protect runs of one cell: each one timed for real, and the one a crash fault kills part-way.

A protection without scheduled runs reports its work hour by hour (``Protection.keep``):
a continuous mirror's syncs in an hour are that hour's run (timed by the syncs' own
seconds); raid1's hourly stamp is no run. Each run's record of what it did to the
target is kept for ``damage_path`` (``copies``).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...errors import WorkbenchError
from ...faults import crash
from ..damage_path import RunCopy, run_copy
from ..protection import Kept
from ..scenario import FaultSpec
from .build import Bench


@dataclass
class ProtectRuns:
    """What the protect runs of a cell did so far; each run is also logged in the cell's details."""

    bench: Bench
    log: list[dict[str, Any]]  # the details' ``protect_runs``
    seconds: list[float] = field(default_factory=list)  # of each run that made a point
    stored: list[int] = field(default_factory=list)  # bytes each of those runs added to the target
    failures: int = 0
    copies: list[RunCopy] = field(default_factory=list)  # what each run recorded doing to the target
    conflicts: int = 0  # conflicts the runs met (a two-way sync's)

    def protect(self, event: str, *, after_fault: bool = False) -> bool:
        """One scheduled run; False when it failed (counted and logged: the cell goes on).

        ``after_fault``: a fault has struck the user's data before this run.
        """
        protection, now = self.bench.protection, self.bench.clock.now
        started = time.perf_counter()
        try:
            point = protection.protect(self.bench.machine, now, event)
        except WorkbenchError as exc:
            self.log.append({"time": now.isoformat(), "error": str(exc)})
            self.failures += 1
            return False
        elapsed = time.perf_counter() - started
        self.seconds.append(elapsed)
        self.stored.append(point.stored_bytes)
        self.copies.append(run_copy(point, after_fault=after_fault))
        self.conflicts += len(point.extra.get("conflicts", ()))
        notes = point.extra.get("notes")  # what a real tool had to do first (unlock what a killed run left)
        self.log.append({"time": now.isoformat(), "point": point.id, "kind": point.kind,
                         "seconds": round(elapsed, 4), "stored_bytes": point.stored_bytes,
                         **({"notes": notes} if notes else {})})
        return True

    def kept(self, parts: list[tuple[Kept, bool]]) -> None:
        """One hour's work of a protection without scheduled runs: (what it kept, after a fault) per stretch.

        The stretches that count as runs (a continuous mirror's syncs) make one run of the hour.
        """
        self.copies += [run_copy(kept.point, after_fault=after) for kept, after in parts]
        work = [kept for kept, _after in parts if kept.is_run]
        if not work:
            return
        seconds, stored = sum(k.seconds for k in work), sum(k.stored_bytes for k in work)
        self.seconds.append(seconds)
        self.stored.append(stored)
        self.log.append({"time": self.bench.clock.now.isoformat(), "point": work[-1].point.id,
                         "kind": work[-1].point.kind, "seconds": round(seconds, 4), "stored_bytes": stored,
                         "syncs": sum(k.syncs for k in work)})

    def crash(self, spec: FaultSpec, child_start_s: Callable[[], float]) -> dict[str, Any]:
        """Run the next protect as a real child process and SIGKILL it part-way; the fault's record.

        Part-way is ``after_fraction`` of a typical run: of the bytes a run adds to
        the target when runs add bytes (the kill comes as the target grows), else of
        its seconds, counted from when the child has started up (``child_start_s``).
        """
        bench = self.bench
        protection, clock, cell = bench.protection, bench.clock, bench.cell
        if protection.schedule.continuous or not protection.keeps_history and not self.seconds:
            return {"kind": "crash-during-protect", "details": {
                "killed": False, "why": "this strategy has no protect run to interrupt"}}
        fraction = float(spec.options.get("after_fraction", 0.5))
        target = protection.target
        stored = statistics.median(self.stored) if self.stored else 0
        source = protection.source_for(bench.machine)
        argv = [sys.executable, "-m", "workbench.experiment.child", json.dumps({
            "strategy": cell.strategy, "target": str(bench.workdir / "target"),
            "scratch": str(protection.scratch), "source": str(source), "now": clock.now.isoformat(),
            "event": protection.schedule.event(clock.hour) or "daily", "schedules": cell.all_schedules})]
        if stored > 0 and target.is_dir():
            grown = crash.folder_bytes(target) + max(1, int(fraction * stored))
            record = crash.crash_during(argv, when_path=target, min_bytes=grown, seed=cell.seed, at=clock.now)
        else:
            typical = statistics.median(self.seconds) if self.seconds else 1.0
            record = crash.crash_during(argv, after_s=child_start_s() + fraction * typical, seed=cell.seed,
                                        at=clock.now)
        return record.to_json()
