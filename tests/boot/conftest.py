"""One debian disk and one good boot of it, shared by every test that needs them (built once per run).

The disk lives in a workspace of its own for the whole session; tests that use
it switch to that workspace (``debian_workspace``). The OS cache is the one
``make os-cache`` fills ($WORKBENCH_OS_CACHE, else the default workspace's),
so a run after ``make os-cache`` builds nothing from the network; without it,
the first test builds the cache (a few minutes, from the Debian mirror).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bootkit import BOOT_TIMEOUT_S, DISK_SIZE, DebianDisk, GoodBoot, image_digest, os_cache_dir, remove

from workbench.disk.boot import boot
from workbench.disk.oscache import CACHE_ENV


@pytest.fixture(scope="session")
def debian_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DebianDisk]:
    """A 1.5 GiB system disk with the debian profile built on it through the CLI."""
    from workbench.cli.main import main
    from workbench.disk.create import create_disk

    home = tmp_path_factory.mktemp("debian-ws").resolve()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_HOME", str(home))
        patch.setenv(CACHE_ENV, os_cache_dir())
        image = create_disk("pc.img", "system", DISK_SIZE)
        assert main(["dataset", "build", "debian", "--disk", "pc.img"]) == 0
        yield DebianDisk(home, image, image_digest(image))
    remove(image)  # ~700 MB of the run's temp space


@pytest.fixture
def debian_workspace(debian_disk: DebianDisk, monkeypatch: pytest.MonkeyPatch) -> DebianDisk:
    """Run this test in the shared debian disk's workspace."""
    monkeypatch.setenv("WORKBENCH_HOME", str(debian_disk.home))
    monkeypatch.setenv(CACHE_ENV, os_cache_dir())
    return debian_disk


@pytest.fixture(scope="session")
def good_boot(debian_disk: DebianDisk) -> GoodBoot:
    """The one full boot of the shared disk."""
    log = debian_disk.home / "good-boot.log"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_HOME", str(debian_disk.home))
        result = boot(debian_disk.image, timeout_s=BOOT_TIMEOUT_S, console_log=log)
    return GoodBoot(result, image_digest(debian_disk.image), log.read_text(errors="replace"))
