"""One fault of any kind, by its name, on a disk image at rest: what ``workbench fault inject`` does.

The kinds, their injectors and their defaults are the table in ``faults.kinds``;
this is the way in for a disk that is not a running cell's machine: it is
mounted for a file-level fault and left detached for a raw one.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import workspace
from ..disk.mounting import mounted
from ..errors import UsageError
from . import kinds
from .detached import DetachedStrikes
from .records import FaultRecord

#: Fault kinds, named as the scenarios are.
KINDS = kinds.names()


class DiskAtRest(DetachedStrikes):
    """A workspace disk image that a fault strikes: its root mounted on request, released on the way out."""

    def __init__(self, image: Path) -> None:
        self.image = image
        self.root: Path | None = None
        self._stack: ExitStack | None = None

    def mount(self) -> Path:
        if self.root is None:
            stack = ExitStack()
            self.root = stack.enter_context(mounted(self.image))
            self._stack = stack
        return self.root

    def unmount(self) -> None:
        if self._stack is not None:
            stack, self._stack, self.root = self._stack, None, None
            stack.close()

    def __enter__(self) -> DiskAtRest:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.unmount()


def inject(kind: str, *, disk: str | Path | None = None, target: str | Path | None = None, seed: int = 0,
           folders: Sequence[str] = ("home",), at: datetime | None = None, **options: Any) -> FaultRecord:
    """Inject one fault of ``kind`` and return its record.

    ``options`` are the kind's, named as in ``faults.kinds`` (``count=3``,
    ``whole_folder=True``); one the kind does not take is refused. A disk fault
    needs ``disk``, target corruption ``target``, a crash the ``run`` option.
    """
    row = kinds.kind(kind)
    settings = {name: value for name, value in options.items() if value is not None}
    row.settings(settings, "cli")  # refuse a wrong option before touching anything
    strike: dict[str, Any] = {"options": settings, "seed": seed, "at": at, "folders": folders, "origin": "cli"}
    if row.access == "process":
        (record,) = kinds.strike(kind, None, **strike)
        return record
    if row.access == "target":
        if target is None:
            raise UsageError("target corruption needs --target: a backup repository folder, an image or a clone")
        (record,) = kinds.strike(kind, None, targets=[workspace.resolve(target, must_exist=True)], **strike)
        return record
    if disk is None:
        raise UsageError(f"the '{kind}' fault needs --disk: the disk image to damage")
    image = workspace.resolve(disk, must_exist=True)
    with DiskAtRest(image) as at_rest:
        (record,) = kinds.strike(kind, at_rest, **strike)
    if row.access == "mounted":
        record.target = str(image)  # the disk, not the mount point it had for a moment
    return record
