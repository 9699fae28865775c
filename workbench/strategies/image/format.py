"""The on-disk format of one image point (a ``.wbimg`` file). Pure: bytes in, bytes out.

Layout, in file order (all integers little-endian)::

    preamble   MAGIC (8 bytes "WBIMG\\0\\1\\n") | header_len u64 | blake3(header) 32 bytes
    header     JSON, UTF-8: format name and version, tool version, point id/time/kind/parent,
               disk geometry (disk_size, chunk_size), the partition table entries,
               how each region was read (ext4 bitmap or raw), compression level
    chunks     zstd frames, back to back, one per stored chunk (only chunks of kind DATA)
    index      zstd( stats_len u32 | stats JSON | block map ), the block map being one
               48-byte entry per chunk of the disk: kind u8, 3 pad, stored_len u32,
               offset u64, blake3(raw chunk) 32 bytes
    end        END_MAGIC (8 bytes "WBIMGEND") | index_offset u64 | index_len u64 |
               blake3(index) 32 bytes | chunk_count u64            (64 bytes, last in file)

A chunk is ``chunk_size`` bytes of the disk (the last one may be shorter), with
blocks a filesystem marks free read as zeros. Its kind is:

- HOLE: all zero; nothing stored, restore leaves a hole;
- DATA: stored in this file at ``offset``, ``stored_len`` bytes of zstd;
- PARENT: unchanged since the parent point (same blake3), stored in an ancestor.

Each stored chunk carries the blake3 of its raw bytes, so verify and restore
detect damage per chunk. A file without a valid end record is a truncated
(interrupted) image and is never taken for a point.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

from ...errors import DamageFound

MAGIC = b"WBIMG\x00\x01\n"
END_MAGIC = b"WBIMGEND"
FORMAT = "workbench-image"  # in the header; MAGIC is what readers check
VERSION = 1
SUFFIX = ".wbimg"

HOLE, DATA, PARENT = 0, 1, 2
KIND_NAMES = {HOLE: "hole", DATA: "data", PARENT: "parent"}

_PREAMBLE = struct.Struct("<8sQ32s")
_ENTRY = struct.Struct("<B3xIQ32s")
_END = struct.Struct("<8sQQ32sQ")
END_SIZE = _END.size
PREAMBLE_SIZE = _PREAMBLE.size


class ImageDamaged(DamageFound):
    """A point file is truncated or its header/index fails its checksum."""


@dataclass(frozen=True)
class ChunkEntry:
    """One chunk's line in the block map."""

    kind: int
    offset: int = 0
    stored_len: int = 0
    digest: bytes = b""


@dataclass(frozen=True)
class EndRecord:
    index_offset: int
    index_len: int
    index_digest: bytes
    chunk_count: int


def _blake3(data: bytes | bytearray | memoryview) -> bytes:
    import blake3

    return blake3.blake3(data).digest()


def encode_preamble(header: dict[str, Any]) -> bytes:
    """Preamble + header JSON, ready to be written at offset 0."""
    body = json.dumps(header, sort_keys=True).encode()
    return _PREAMBLE.pack(MAGIC, len(body), _blake3(body)) + body


def decode_preamble(head: bytes, name: str = "image") -> tuple[dict[str, Any], int]:
    """(header, size of preamble+header) from the start of a file; raises ImageDamaged."""
    if len(head) < PREAMBLE_SIZE or head[:8] != MAGIC:
        raise ImageDamaged(f"{name}: not a workbench image (bad magic), or its first bytes are damaged")
    _, length, digest = _PREAMBLE.unpack_from(head)
    body = head[PREAMBLE_SIZE:PREAMBLE_SIZE + length]
    if len(body) != length or _blake3(body) != digest:
        raise ImageDamaged(f"{name}: the header is truncated or fails its checksum")
    return json.loads(body), PREAMBLE_SIZE + length


def encode_index(entries: list[ChunkEntry], stats: dict[str, Any]) -> bytes:
    """The compressed index: stats JSON then the block map."""
    import zstandard

    stats_json = json.dumps(stats, sort_keys=True).encode()
    parts = [struct.pack("<I", len(stats_json)), stats_json]
    parts += [_ENTRY.pack(e.kind, e.stored_len, e.offset, e.digest.ljust(32, b"\0")) for e in entries]
    return zstandard.ZstdCompressor(level=3).compress(b"".join(parts))


def decode_index(blob: bytes, chunk_count: int, name: str = "image") -> tuple[list[ChunkEntry], dict[str, Any]]:
    import zstandard

    try:
        raw = zstandard.ZstdDecompressor().decompress(blob)
        (stats_len,) = struct.unpack_from("<I", raw)
        stats = json.loads(raw[4:4 + stats_len])
    except (zstandard.ZstdError, struct.error, ValueError) as exc:
        raise ImageDamaged(f"{name}: the block map cannot be read ({exc})") from exc
    base = 4 + stats_len
    if len(raw) != base + chunk_count * _ENTRY.size:
        raise ImageDamaged(f"{name}: the block map has the wrong length")
    entries = []
    for i in range(chunk_count):
        kind, stored_len, offset, digest = _ENTRY.unpack_from(raw, base + i * _ENTRY.size)
        entries.append(ChunkEntry(kind, offset, stored_len, digest if kind != HOLE else b""))
    return entries, stats


def encode_end(index_offset: int, index: bytes, chunk_count: int) -> bytes:
    return _END.pack(END_MAGIC, index_offset, len(index), _blake3(index), chunk_count)


def decode_end(tail: bytes, name: str = "image") -> EndRecord:
    if len(tail) != END_SIZE or tail[:8] != END_MAGIC:
        raise ImageDamaged(f"{name}: no end-of-image record: the image is truncated (an interrupted protect?)")
    _, offset, length, digest, count = _END.unpack(tail)
    return EndRecord(offset, length, digest, count)


def check_index(blob: bytes, end: EndRecord, name: str = "image") -> None:
    if len(blob) != end.index_len or _blake3(blob) != end.index_digest:
        raise ImageDamaged(f"{name}: the block map fails its checksum")


def chunk_count(disk_size: int, chunk_size: int) -> int:
    return -(-disk_size // chunk_size)


def chunk_span(index: int, disk_size: int, chunk_size: int) -> tuple[int, int]:
    """(start, length) in disk bytes of a chunk; the last one may be short."""
    start = index * chunk_size
    return start, min(chunk_size, disk_size - start)
