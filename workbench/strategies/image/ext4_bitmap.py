"""Which blocks of an ext4 filesystem are in use, read from its own block bitmaps.

This is what partclone and ``e2image`` do: parse the superblock and the group
descriptors, then read each group's block bitmap. It runs on the image file at
the partition's offset (no loop device, no root). Handled: 1 KiB and 4 KiB
blocks, ``flex_bg`` (bitmaps and inode tables living in another group),
64-bit descriptors, ``sparse_super``/``sparse_super2`` and ``BLOCK_UNINIT``
groups, whose bitmap is not written yet and whose used blocks are only the
metadata that lies in them. ``meta_bg`` and ``bigalloc`` are refused with
``Unsupported`` so the caller stores the partition raw instead.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from ...errors import OperationFailed

EXT4_MAGIC = 0xEF53
_INCOMPAT_META_BG = 0x10
_INCOMPAT_64BIT = 0x80
_RO_COMPAT_SPARSE_SUPER = 0x1
_RO_COMPAT_BIGALLOC = 0x200
_COMPAT_SPARSE_SUPER2 = 0x200
_BG_BLOCK_UNINIT = 0x2


class Unsupported(OperationFailed):
    """Not an ext4 this module can read; the caller stores the area raw (it never reaches a user)."""


@dataclass(frozen=True)
class Superblock:
    block_size: int
    blocks_count: int
    first_data_block: int
    blocks_per_group: int
    inodes_per_group: int
    inode_size: int
    desc_size: int
    reserved_gdt_blocks: int
    sparse_super: bool
    backup_bgs: tuple[int, int] | None  # sparse_super2

    @property
    def group_count(self) -> int:
        return -(-(self.blocks_count - self.first_data_block) // self.blocks_per_group)

    @property
    def gdt_blocks(self) -> int:
        return -(-(self.group_count * self.desc_size) // self.block_size)

    @property
    def inode_table_blocks(self) -> int:
        return -(-(self.inodes_per_group * self.inode_size) // self.block_size)

    def group_start(self, group: int) -> int:
        return self.first_data_block + group * self.blocks_per_group

    def group_blocks(self, group: int) -> int:
        return min(self.blocks_per_group, self.blocks_count - self.group_start(group))

    def has_super(self, group: int) -> bool:
        if group == 0:
            return True
        if self.backup_bgs is not None:
            return group in self.backup_bgs
        if not self.sparse_super or group == 1:
            return True
        return any(_is_power(group, base) for base in (3, 5, 7))


@dataclass(frozen=True)
class GroupDesc:
    block_bitmap: int
    inode_bitmap: int
    inode_table: int
    flags: int


def _is_power(n: int, base: int) -> bool:
    while n % base == 0:
        n //= base
    return n == 1


def parse_superblock(raw: bytes) -> Superblock:
    """Parse the 1024-byte superblock (pure)."""
    if len(raw) < 1024 or struct.unpack_from("<H", raw, 0x38)[0] != EXT4_MAGIC:
        raise Unsupported("no ext2/3/4 superblock")
    u32 = lambda off: struct.unpack_from("<I", raw, off)[0]  # noqa: E731 (one-line field readers of raw)
    u16 = lambda off: struct.unpack_from("<H", raw, off)[0]  # noqa: E731 (one-line field readers of raw)
    compat, incompat, ro_compat = u32(0x5C), u32(0x60), u32(0x64)
    if incompat & _INCOMPAT_META_BG:
        raise Unsupported("meta_bg is not supported")
    if ro_compat & _RO_COMPAT_BIGALLOC:
        raise Unsupported("bigalloc is not supported")
    is64 = bool(incompat & _INCOMPAT_64BIT)
    blocks = u32(0x04) | ((u32(0x150) << 32) if is64 else 0)
    rev = u32(0x4C)
    return Superblock(
        block_size=1024 << u32(0x18),
        blocks_count=blocks,
        first_data_block=u32(0x14),
        blocks_per_group=u32(0x20),
        inodes_per_group=u32(0x28),
        inode_size=u16(0x58) if rev >= 1 else 128,
        desc_size=(u16(0xFE) or 64) if is64 else 32,
        reserved_gdt_blocks=u16(0xCE),
        sparse_super=bool(ro_compat & _RO_COMPAT_SPARSE_SUPER),
        backup_bgs=(u32(0x24C), u32(0x250)) if compat & _COMPAT_SPARSE_SUPER2 else None,
    )


def parse_descriptors(raw: bytes, sb: Superblock) -> list[GroupDesc]:
    """Parse the group descriptor table (pure)."""
    wide = sb.desc_size >= 64
    descs = []
    for g in range(sb.group_count):
        off = g * sb.desc_size
        lo = struct.unpack_from("<III", raw, off)
        flags = struct.unpack_from("<H", raw, off + 0x12)[0]
        hi = struct.unpack_from("<III", raw, off + 0x20) if wide else (0, 0, 0)
        descs.append(GroupDesc(lo[0] | hi[0] << 32, lo[1] | hi[1] << 32, lo[2] | hi[2] << 32, flags))
    return descs


def _uninit_group_used(sb: Superblock, descs: list[GroupDesc], group: int) -> list[tuple[int, int]]:
    """Used blocks of a BLOCK_UNINIT group, as (first block, count) relative to the filesystem."""
    start, count = sb.group_start(group), sb.group_blocks(group)
    end = start + count
    used: list[tuple[int, int]] = []
    if sb.has_super(group):
        used.append((start, 1 + sb.gdt_blocks + sb.reserved_gdt_blocks))
    for desc in descs:
        for first, length in ((desc.block_bitmap, 1), (desc.inode_bitmap, 1),
                              (desc.inode_table, sb.inode_table_blocks)):
            lo, hi = max(first, start), min(first + length, end)
            if lo < hi:
                used.append((lo, hi - lo))
    return used


def allocated_blocks(fd: int, offset: int) -> tuple[Superblock, list[tuple[int, int]]]:
    """The superblock and the used blocks as sorted, merged (first block, count) runs.

    ``offset`` is the partition's byte offset in the image. Block 0 (the boot
    block, and on 1 KiB filesystems the block before the superblock) counts as used.
    """
    sb = parse_superblock(os.pread(fd, 1024, offset + 1024))
    bs = sb.block_size
    gdt = os.pread(fd, sb.gdt_blocks * bs, offset + (sb.first_data_block + 1) * bs)
    descs = parse_descriptors(gdt, sb)
    runs: list[tuple[int, int]] = [(0, sb.first_data_block + 1)]
    for group, desc in enumerate(descs):
        start, count = sb.group_start(group), sb.group_blocks(group)
        if desc.flags & _BG_BLOCK_UNINIT:
            runs += _uninit_group_used(sb, descs, group)
            continue
        if desc.block_bitmap >= sb.blocks_count:
            raise Unsupported(f"group {group}'s block bitmap lies outside the filesystem")
        raw = os.pread(fd, -(-count // 8), offset + desc.block_bitmap * bs)
        runs += bit_runs(raw, count, start)
    return sb, _merge(runs)


def bit_runs(raw: bytes, count: int, base: int) -> list[tuple[int, int]]:
    """Runs of set bits (LSB first, as ext4 stores them) among the first ``count`` bits (pure).

    Done with one big integer rather than per bit: each step skips a run of
    zeros or ones at C speed.
    """
    bits = int.from_bytes(raw, "little") & ((1 << count) - 1)
    runs = []
    pos = 0
    while bits:
        zeros = (bits & -bits).bit_length() - 1
        bits >>= zeros
        pos += zeros
        ones = (bits ^ (bits + 1)).bit_length() - 1
        runs.append((base + pos, ones))
        bits >>= ones
        pos += ones
    return runs


def _merge(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for first, count in sorted(runs):
        if merged and first <= merged[-1][0] + merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], first + count - merged[-1][0])
        else:
            merged.append([first, count])
    return [(a, b) for a, b in merged]


def allocated_byte_ranges(fd: int, offset: int, size: int) -> list[tuple[int, int]]:
    """Used bytes of the ext4 at ``offset`` as (disk offset, length), clipped to the partition.

    Bytes past the filesystem's end but inside the partition are included
    (stored raw), since the filesystem does not describe them.
    """
    sb, runs = allocated_blocks(fd, offset)
    bs = sb.block_size
    ranges = [(offset + first * bs, count * bs) for first, count in runs]
    fs_end = sb.blocks_count * bs
    if fs_end < size:
        ranges.append((offset + fs_end, size - fs_end))
    return [(s, min(n, offset + size - s)) for s, n in ranges if s < offset + size]
