"""Wall seconds per phase of a cell, so that a benchmark can see where a cell's time goes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

PHASES = ("build", "simulate", "strike", "recover", "score")


class PhaseClock:
    """Counts real seconds per phase.

    A phase entered inside another (a strike during the simulated hours) counts
    for itself only, so the phases add up to the time the cell took.
    """

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self._running: list[str] = []
        self._since = 0.0

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        if name not in self.seconds:
            raise AssertionError(f"'{name}' is not a phase: {', '.join(PHASES)}")
        self._switch()
        self._running.append(name)
        try:
            yield
        finally:
            self._switch()
            self._running.pop()

    def _switch(self) -> None:
        now = time.perf_counter()
        if self._running:
            self.seconds[self._running[-1]] += now - self._since
        self._since = now

    def to_json(self) -> dict[str, float]:
        return {name: round(seconds, 4) for name, seconds in self.seconds.items()}
