"""A full target, told in one line: which target, its free bytes and, where known, the bytes still to write.

Every engine that keeps a target folder or image reports a full disk the same way
(:class:`~workbench.errors.OperationFailed`, exit 3). ``reports_full_target`` wraps an
engine's ``protect``: it counts the bytes done through the method's ``progress`` argument, so
the error can say how many were still to write, and turns ENOSPC (or EDQUOT) into that error.
What the engine leaves behind is its own business (a partial point removed, a record dropped).
"""

from __future__ import annotations

import errno
import functools
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from ..errors import OperationFailed
from .base import ProgressCallback

P = ParamSpec("P")
R = TypeVar("R")
FULL = (errno.ENOSPC, errno.EDQUOT)


def free_bytes(target: Path) -> int:
    """Bytes an unprivileged writer may still use on the filesystem holding ``target`` (or its nearest parent)."""
    place = Path(target)
    while not place.exists() and place != place.parent:
        place = place.parent
    stats = os.statvfs(place)
    return stats.f_bavail * stats.f_frsize


def target_full(target: Path, what: str, *, still_to_write: int | None = None, advice: str = "free space") -> \
        OperationFailed:
    still = f", at most {still_to_write} bytes still to write" if still_to_write is not None else ""
    return OperationFailed(f"the target {target} is full (no space left on device): {free_bytes(target)} bytes "
                           f"free{still}, while {what}; {advice}, then protect again")


class Tally:
    """A progress callback that remembers the last (done, total) it was told, and passes it on."""

    def __init__(self, forward: ProgressCallback | None) -> None:
        self.forward = forward
        self.done: int | None = None
        self.total: int | None = None

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.forward is not None:
            self.forward(done, total)

    def still(self) -> int | None:
        return None if self.done is None or self.total is None else max(self.total - self.done, 0)


def reports_full_target(what: str, *, advice: str = "free space", on_full: Callable[[Path], None] | None = None,
                        unit_bytes: Callable[[Any], int] | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate an engine's ``protect``: a full target becomes the one-line ``target_full`` error.

    ``on_full(target)`` runs first, to hide what the failed run left half-written. ``unit_bytes(engine)``
    is the bytes one step of the method's progress stands for (the bytes still to write are then told:
    an upper bound, as what is still to read may be unchanged or compress); None when progress counts
    something else (files).
    """
    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def reported(*args: P.args, **kwargs: P.kwargs) -> R:
            bound = signature.bind(*args, **kwargs)
            target = Path(bound.arguments["target"])
            tally = Tally(bound.arguments.get("progress"))
            bound.arguments["progress"] = tally
            call: Callable[..., Any] = method
            try:
                result: R = call(*bound.args, **bound.kwargs)
            except OSError as exc:
                if exc.errno not in FULL:
                    raise
                if on_full is not None:
                    on_full(target)
                still = tally.still()
                if still is not None and unit_bytes is not None:
                    still *= unit_bytes(bound.arguments.get("self"))
                raise target_full(target, what, still_to_write=still if unit_bytes else None, advice=advice) from None
            return result
        return reported
    return decorate
