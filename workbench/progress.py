"""Progress bars that work in a terminal and in a notebook (tqdm.auto), and stay silent when asked."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def quiet_by_default() -> bool:
    """Quiet in CI, when WORKBENCH_QUIET is set, or when stderr is no terminal (a pipe, a log file).

    In a Jupyter kernel stderr is no terminal either, but tqdm.auto draws widgets there.
    """
    if os.environ.get("WORKBENCH_QUIET") or os.environ.get("CI"):
        return True
    return not (sys.stderr.isatty() or in_jupyter_kernel())


def in_jupyter_kernel() -> bool:
    """Running as a Jupyter kernel's code (merely importing ipykernel, as a test runner may, is not enough)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def bar(total: int, description: str, *, unit: str = "it", quiet: bool | None = None) -> Any:
    """A tqdm bar (or a do-nothing one when quiet); use ``update(n)`` and ``set_postfix_str``.

    With ``unit="B"`` the counts are bytes, shown as KiB, MiB, GiB.
    """
    if quiet_by_default() if quiet is None else quiet:
        return SilentBar(total)
    from tqdm.auto import tqdm  # a third of a second of imports (asyncio, multiprocessing): only when drawn

    scaled = {"unit_scale": True, "unit_divisor": 1024} if unit == "B" else {}
    return tqdm(total=total, desc=description, unit=unit, dynamic_ncols=True, **scaled)


class SilentBar:
    """What a quiet ``bar`` returns: the few calls of tqdm the engines use, drawing and counting nothing
    (as a disabled tqdm bar does)."""

    disable = True

    def __init__(self, total: int) -> None:
        self.total, self.n = total, 0

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> SilentBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def reporting(description: str, *, unit: str = "it",
              quiet: bool | None = None) -> Iterator[Callable[[int, int], None]]:
    """An engine's ``progress(done, total)`` callback drawn as a bar, closed on the way out.

    The bar appears on the first call, when the total is known; engines count
    in their own units (chunks, bytes, segments), so it shows the share done.
    """
    shown: list[Any] = []

    def update(done: int, total: int) -> None:
        if not shown:
            shown.append(bar(total, description, unit=unit, quiet=quiet))
        progress = shown[0]
        progress.total = total
        progress.update(done - progress.n)

    try:
        yield update
    finally:
        if shown:
            shown[0].close()


class Tally:
    """Progress of a long run of items (a matrix's cells): a bar on a terminal, otherwise one line per
    finished item on stderr, each with its status, its seconds and the time left, estimated from the
    items done so far (wall time per item, so items running side by side count as such)."""

    def __init__(self, total: int, description: str, *, done: int = 0, quiet: bool | None = None,
                 stream: Any = None) -> None:
        self.total, self.done, self.started_with = total, done, done
        self.started = time.monotonic()
        self.stream = stream or sys.stderr
        if quiet is True:
            self.mode = "silent"
        elif quiet is False or sys.stderr.isatty() or in_jupyter_kernel():
            self.mode = "bar"
        else:
            self.mode = "silent" if os.environ.get("WORKBENCH_QUIET") else "lines"
        self.bar = bar(total, description, unit="cell", quiet=False) if self.mode == "bar" else None
        if self.bar is not None:
            self.bar.update(done)

    def finished(self, name: str, status: str, seconds: float) -> None:
        self.done += 1
        left = self.seconds_left()
        if self.bar is not None:
            self.bar.set_postfix_str(f"{name}: {status}")
            self.bar.update(1)
        elif self.mode == "lines":
            eta = "" if left is None or self.done >= self.total else f"; about {format_seconds(left)} left"
            print(f"[{self.done}/{self.total}] {name}: {status} in {seconds:.1f} s{eta}", file=self.stream,
                  flush=True)

    def seconds_left(self) -> float | None:
        ran = self.done - self.started_with
        if ran <= 0:
            return None
        return (time.monotonic() - self.started) / ran * (self.total - self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Tally:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def format_seconds(seconds: float) -> str:
    """``75`` -> ``1 min 15 s``; ``4000`` -> ``1 h 07 min``."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
