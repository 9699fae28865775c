"""The recipe of the cached Debian root, and the per-disk files that make it boot (pure: no I/O).

The root is a minimal Debian with a kernel, systemd and a serial console,
tuned for short boots under emulation:

- the initramfs holds only the drivers a PC or a virtual machine needs for its
  root disk (``MODULES=list``): 7 MB instead of 36 MB, which the boot loader
  reads and the kernel unpacks at emulated speed;
- the getty and timer targets are masked, and so is ``e2scrub_reap`` (which
  held up multi-user for 40 s under emulation waiting on LVM tools that are
  not installed);
- a one-shot unit prints this boot's nonce once multi-user is reached (see
  ``bootconsole``).

The cache key hashes everything here that goes into the tarball (suite,
variant, packages, dpkg options, every file added, the recipe version), so a
change to any of it makes a new cache file instead of reusing a stale one.
"""

from __future__ import annotations

import hashlib
import json

from .bootconsole import MARKER

#: Bump when the build steps change in a way the hashed data below does not show.
RECIPE_VERSION = 1
SUITE = "bookworm"
VARIANT = "minbase"
PACKAGES = ("linux-image-amd64", "systemd-sysv", "udev", "kmod", "e2fsprogs", "passwd", "zstd")
#: Leave out what a small system never reads (as Debian's container images do); dpkg knows.
DPKG_OPTIONS = (
    "path-exclude=/usr/share/doc/*",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/locale/*",
)
HOSTNAME = "workbench-debian"
#: The nonce's name in QEMU's firmware config, and where the guest reads it.
NONCE_NAME = "opt/workbench/nonce"
NONCE_PATH = f"/sys/firmware/qemu_fw_cfg/by_name/{NONCE_NAME}/raw"
#: The kernel's command line: the serial console; the kernel says only errors, systemd only failures and
#: stalls, the initramfs its few steps (they show how far a boot got); a panic ends the machine at once.
KERNEL_ARGS = "ro console=ttyS0,115200 loglevel=3 systemd.show_status=auto panic=-1"
#: Drivers the initramfs loads to find the root disk: virtio, SATA, NVMe, SCSI disks, and ext4.
INITRAMFS_MODULES = ("virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "ahci", "nvme", "ext4", "crc32c_generic")
MASKED_UNITS = ("getty.target", "timers.target", "e2scrub_reap.service")
MARKER_UNIT = "workbench-boot-marker.service"

_MARKER_SCRIPT = f"""\
#!/bin/sh
# Print this boot's nonce (passed by the workbench through QEMU's firmware config) on the serial console.
modprobe qemu_fw_cfg 2>/dev/null
nonce={NONCE_PATH}
if [ -r "$nonce" ]; then
    echo "{MARKER} $(cat "$nonce")" > /dev/ttyS0
fi
"""

_MARKER_UNIT_TEXT = """\
[Unit]
Description=Tell the workbench this system booted
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/workbench-boot-marker

[Install]
WantedBy=multi-user.target
"""


def early_files() -> dict[str, tuple[int, bytes]]:
    """Files in place before the kernel package installs (its initramfs is built with them): path -> (mode, bytes)."""
    return {
        "etc/initramfs-tools/conf.d/workbench": (0o644, b"MODULES=list\n"),
        "usr/share/initramfs-tools/modules.d/workbench.conf": (0o644, "\n".join(INITRAMFS_MODULES).encode() + b"\n"),
    }


def late_files() -> dict[str, tuple[int, bytes]]:
    """Files added once every package is installed: path -> (mode, bytes)."""
    return {
        "etc/hostname": (0o644, f"{HOSTNAME}\n".encode()),
        "etc/hosts": (0o644, f"127.0.0.1\tlocalhost\n127.0.1.1\t{HOSTNAME}\n::1\tlocalhost ip6-localhost\n".encode()),
        "usr/local/sbin/workbench-boot-marker": (0o755, _MARKER_SCRIPT.encode()),
        f"etc/systemd/system/{MARKER_UNIT}": (0o644, _MARKER_UNIT_TEXT.encode()),
    }


def late_links() -> dict[str, str]:
    """Symbolic links added with the late files: the masks, and the marker unit enabled."""
    links = {f"etc/systemd/system/{unit}": "/dev/null" for unit in MASKED_UNITS}
    links[f"etc/systemd/system/multi-user.target.wants/{MARKER_UNIT}"] = f"/etc/systemd/system/{MARKER_UNIT}"
    return links


def cache_key() -> str:
    """16 hex digits naming this recipe: a hash of everything that goes into the tarball."""
    recipe = {
        "version": RECIPE_VERSION, "suite": SUITE, "variant": VARIANT, "packages": sorted(PACKAGES),
        "dpkg": list(DPKG_OPTIONS),
        "early": {path: [mode, hashlib.sha256(data).hexdigest()] for path, (mode, data) in early_files().items()},
        "late": {path: [mode, hashlib.sha256(data).hexdigest()] for path, (mode, data) in late_files().items()},
        "links": late_links(),
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def cache_name() -> str:
    """The tarball's file name: the suite and the recipe's key."""
    return f"debian-{SUITE}-{cache_key()}.tar.zst"


def fstab(root_uuid: str) -> str:
    """The root filesystem found by its UUID, as Debian's installer writes it."""
    return ("# <file system> <mount point> <type> <options> <dump> <pass>\n"
            f"UUID={root_uuid} / ext4 errors=remount-ro 0 1\n")


def grub_config(root_uuid: str) -> str:
    """The boot loader's menu: find the root by UUID, start Debian's kernel through its /vmlinuz link.

    The links (/vmlinuz, /initrd.img) are kept current by the kernel package,
    so a kernel reinstalled on the system needs no change here.
    """
    return (
        "set timeout=0\n"
        f"search --no-floppy --fs-uuid --set=root {root_uuid}\n"
        f"linux /vmlinuz root=UUID={root_uuid} {KERNEL_ARGS}\n"
        "initrd /initrd.img\n"
        "boot\n"
    )
