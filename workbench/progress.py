"""Progress bars that work in a terminal and in a notebook (tqdm.auto), and stay silent when asked."""

from __future__ import annotations

import os
import sys
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
    from tqdm.auto import tqdm

    disable = quiet_by_default() if quiet is None else quiet
    scaled = {"unit_scale": True, "unit_divisor": 1024} if unit == "B" else {}
    return tqdm(total=total, desc=description, unit=unit, disable=disable, dynamic_ncols=True, **scaled)


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
