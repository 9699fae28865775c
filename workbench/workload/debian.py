"""Profiles with ``os: debian``: a real Debian system under the generated homes.

The profile machinery builds its tree first (the homes, into the empty root);
the cached Debian root is then unpacked around it, the users get accounts,
and the ESP gets a boot loader, so the disk starts as a computer does.
Preparing the cache comes first, before the disk is mounted: the first time
it is a download of some minutes, later a look-up.
"""

from __future__ import annotations

from pathlib import Path

from ..disk import oscache, osinstall
from ..disk.layout import MiB
from ..errors import UsageError
from .profile import Profile

#: The smallest source disk for a profile with an OS: the unpacked root (about 620 MB), a kernel
#: reinstalled by the churn, and the homes, with room to spare on ext4.
DISK_BYTES = 1536 * MiB


def prepare(profile: Profile, *, onto_disk: bool, say: oscache.Say) -> oscache.CachedRoot | None:
    """The cached root a profile's OS needs (built now if missing), or None for a profile without one."""
    if not profile.os:
        return None
    if not onto_disk:
        raise UsageError(f"profile '{profile.name}' installs an operating system: build it onto a disk "
                         "(--disk pc.img), not into a folder")
    return oscache.ensure(say)


def disk_bytes(profile: Profile, data_disk_bytes: int) -> int:
    """The source disk a profile needs: ``data_disk_bytes`` for its data, more for its operating system."""
    return max(DISK_BYTES, data_disk_bytes) if profile.os else data_disk_bytes


def install(profile: Profile, cached: oscache.CachedRoot | None, image: Path | None, root: Path) -> None:
    """Install the profile's OS onto ``image``, whose root is mounted at ``root`` and holds the built tree."""
    if cached is None or image is None:
        return
    osinstall.install(image, root, cached, [(user, profile.uid_of(user)) for user in profile.users])
