"""Loopback disks: the only layer that runs losetup, mount, sfdisk, mkfs and mtools."""
