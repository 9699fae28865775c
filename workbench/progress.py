"""Progress bars that work in a terminal and in a notebook (tqdm.auto), and stay silent when asked."""

from __future__ import annotations

import os
from typing import Any


def quiet_by_default() -> bool:
    """Quiet in CI or when WORKBENCH_QUIET is set."""
    return bool(os.environ.get("WORKBENCH_QUIET") or os.environ.get("CI"))


def bar(total: int, description: str, *, unit: str = "it", quiet: bool | None = None) -> Any:
    """A tqdm bar (or a do-nothing one when quiet); use ``update(n)`` and ``set_postfix_str``."""
    from tqdm.auto import tqdm

    disable = quiet_by_default() if quiet is None else quiet
    return tqdm(total=total, desc=description, unit=unit, disable=disable, dynamic_ncols=True)
