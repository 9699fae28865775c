"""Where strategies store what they keep: a workspace path, or a folder on a data disk.

A target is written ``PATH`` (a directory or an image file in the workspace)
or ``DATA.img:/folder`` (a folder on a workbench ``data`` disk, which is
mounted for as long as the target is open: an "external drive").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import workspace
from .errors import UsageError


def split_spec(spec: str) -> tuple[str, str | None]:
    """'usb.img:/backups' -> ('usb.img', '/backups'); 'dir' -> ('dir', None). Pure."""
    head, sep, tail = spec.partition(".img:")
    if not sep:
        return spec, None
    folder = tail if tail.startswith("/") else "/" + tail
    return head + ".img", folder


@contextmanager
def opened(spec: str, *, create: bool = True) -> Iterator[Path]:
    """Yield the target as a real path, mounting its data disk when needed."""
    disk, folder = split_spec(spec)
    if folder is None:
        path = workspace.resolve(disk)
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        yield path
        return
    from .disk.mounting import mounted

    image = workspace.resolve(disk, must_exist=True)
    with mounted(image, "data") as point:
        path = (point / folder.lstrip("/")).resolve()
        if not path.is_relative_to(point):
            raise UsageError(f"'{spec}': the folder must stay inside the data disk")
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        yield path
