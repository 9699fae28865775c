"""A power cut at a chosen moment: the disk as its device holds it, without the page cache.

A filesystem on a loop device attached with direct I/O (``loop.attach(direct_io=True)``)
writes its backing image with O_DIRECT, so the image holds exactly what the filesystem
has sent to its device: every fsynced write, and whatever writeback sent on its own by
then. What sits dirty in the page cache is not in the image. Copying the image at that
moment (``copy_as_on_device``, which syncs nothing) gives the disk a power cut would
leave; ``recover`` then does what the next boot would: replay the journal and fsck.

What it models: the lost cache. What it does not: writes reordered or torn below the
filesystem, or a drive cache that acknowledges a flush it has not done; this device
writes in order and at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import guard, proc, workspace
from ..errors import UsageError
from ..sparse import sparse_copy
from .loop import attached, loops_of, uses_direct_io
from .table import read_table

#: e2fsck's exit codes after which the filesystem is sound: clean, errors corrected, corrected (reboot advised).
_E2FSCK_FIXED = (0, 1, 2)


def copy_as_on_device(image: Path, copy: Path) -> Path:
    """Copy a workspace image that is attached with direct I/O, as its device holds it, into a new file.

    Nothing is synced first, so the filesystem's dirty pages stay out of the copy.
    Refused when the image is not attached, or attached without direct I/O (the
    copy would then see the image file's own cache, not the device).
    """
    real = guard.check_image(image)
    devices = loops_of(real)
    if not devices or not all(uses_direct_io(device) for device in devices):
        raise UsageError(f"'{workspace.display(real)}' is not attached with direct I/O: a copy of it would not "
                         "be what its device holds")
    out = workspace.new_file(copy)
    out.touch()
    src = guard.open_checked(real, image_only=True)
    try:
        dst = guard.open_for_write(out)
        try:
            sparse_copy(src, dst)
        finally:
            os.close(dst)
    finally:
        os.close(src)
    return out


def recover(image: Path, role: str = "data") -> tuple[int, bool]:
    """What the next boot does to a power-cut disk: replay the journal and repair (``e2fsck -fy``).

    Returns (e2fsck's exit code, whether a read-only re-check then finds it clean). It runs
    on a loop device of the partition: e2fsck re-opens the filesystem after replaying a
    journal, and that re-open drops an ``IMG?offset=N`` name's offset.
    """
    partition = read_table(image).by_role(role)
    with attached(image, partition) as device:
        fixed = proc.run(["e2fsck", "-fy", device], check=False, what="replaying the journal of a power-cut disk")
        again = proc.run(["e2fsck", "-fn", device], check=False)
    return fixed.returncode, fixed.returncode in _E2FSCK_FIXED and again.returncode == 0
