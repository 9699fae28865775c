"""A disk held through its served file counts as attached: raw faults refuse it, disk list and rm say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.commands.disk import disk_list, disk_rm
from workbench.disk.loop import attached
from workbench.disk.sector_list import SectorRange
from workbench.disk.served import served, users_of
from workbench.errors import UsageError
from workbench.faults import raw

pytestmark = pytest.mark.root


def test_a_served_disk_is_held_by_its_fuse_mount_then_by_the_loop_device_over_it(system_disk: Path) -> None:
    assert users_of(system_disk) == []
    with served(system_disk, [SectorRange(40_000, 8)]) as disk:
        assert users_of(system_disk) == [str(disk.parent)]
        with pytest.raises(UsageError, match="unmount it before a raw-byte fault"):
            raw.require_detached(system_disk)
        with attached(disk) as device:
            assert users_of(system_disk) == [device]
            assert [row.attached for row in disk_list() if row.path.endswith("system.img")] == [[device]]
            with pytest.raises(UsageError, match="is attached as"):
                disk_rm(system_disk)
    assert users_of(system_disk) == []
    assert raw.require_detached(system_disk) == system_disk.resolve()
