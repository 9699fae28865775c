"""Loopback disks and what is on them: the only layer that runs disk tools.

losetup, mount, mkfs, fsck, sfdisk, sgdisk, btrfs, debugfs, dumpe2fs,
filefrag, blockdev, fsfreeze and mtools run here and nowhere else
(``proc.TOOLS`` marks them; ``proc`` refuses them from any other module when
checking is on, as in the tests). Everything above asks this layer for a
mounted path, a byte range or a result.
"""
