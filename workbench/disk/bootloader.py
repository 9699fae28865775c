"""A real UEFI boot loader on the ESP, written from user space with mtools (the kernel here cannot mount vfat).

The loader is GRUB, as one self-contained EFI image (``grub-mkstandalone``)
at the firmware's fallback path ``EFI/BOOT/BOOTX64.EFI``, beside a
``grub.cfg`` that finds the root filesystem by UUID and starts the kernel
from it. GRUB rather than systemd-boot, because:

- GRUB reads ext4, so the kernel and initramfs stay in the root's ``/boot``
  where Debian's kernel package puts them: a kernel reinstalled inside the
  system (``dpkg -i``) boots with no step that copies it to the ESP, which
  systemd-boot would need (it reads only FAT);
- the ESP then holds 0.6 MB instead of a kernel and an initramfs (15 MB and
  more each time a kernel is added), so the ``system`` layout's ESP (34 or
  64 MiB) is ample and needs no variant;
- it is Debian's own boot loader, and its config names the root filesystem's
  UUID, as the installer writes it.

The image embeds only a two-line config that hands over to ``grub.cfg`` beside
it (``$cmdpath``), so one image serves every disk; the per-disk part is plain
text on the ESP. Both files go to the firmware's fallback path, so a fresh
firmware (no boot entries in its variables) finds them, as it must after a
disk is swapped in.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .. import proc
from . import esp, osrecipe
from .bootcode import BOOT_CONFIG_PATH, BOOT_LOADER_PATH
from .table import Partition

#: The GRUB modules the image needs: GPT, FAT (its own config), ext4 (the kernel), find by UUID, load Linux.
GRUB_MODULES = ("normal", "configfile", "search", "search_fs_uuid", "part_gpt", "fat", "ext2", "linux", "echo", "test")
_EMBEDDED_CONFIG = "configfile ${cmdpath}/grub.cfg\n"


def install(image: Path, esp_partition: Partition, root_uuid: str) -> None:
    """Write GRUB and its config to the ESP's fallback path, replacing what is there."""
    with tempfile.TemporaryDirectory(prefix="grub-") as tmp:
        work = Path(tmp)
        embedded = work / "embedded.cfg"
        embedded.write_text(_EMBEDDED_CONFIG)
        tree = work / "esp"
        loader = tree / BOOT_LOADER_PATH
        loader.parent.mkdir(parents=True)
        proc.run(["grub-mkstandalone", "-O", "x86_64-efi", "-o", loader, f"--install-modules={' '.join(GRUB_MODULES)}",
                  "--modules=part_gpt fat ext2", "--locales=", "--fonts=", "--themes=",
                  f"boot/grub/grub.cfg={embedded}"], what="building the GRUB EFI image")  # fmt: skip
        (tree / BOOT_CONFIG_PATH).write_text(osrecipe.grub_config(root_uuid))
        esp.copy_in(image, esp_partition, tree)
