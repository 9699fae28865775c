"""Splitting file contents into chunks: whole small files, content-defined cuts in large ones.

Why content-defined, and why only for large files:

- Most files in a home directory are small. A file below ``SMALL_FILE`` bytes is one
  chunk: re-chunking it would cost time and buy no dedup (an edit rewrites the file).
- In a large file (a mailbox, a database, a disk image) an insertion shifts every later
  byte. Fixed-size chunks would all change after the insertion point; cuts chosen by the
  content itself re-align right after it, so only the chunks around the edit are new.
  That is the restic/borg choice, and it is why the repository stays small across days.

Two cut tests, named in the config's ``chunker.algorithm`` (so a repository keeps its own):

- ``fastcdc2020`` (repository format 2, the default): FastCDC 2020 with normalized chunking
  level 1 and the paper's gear table, from ``pyfastcdc`` (Cython, releases the GIL). The
  average distance between cuts is ``1 << mask_bits`` past ``min_size``; no cut is looked
  for inside the first ``min_size`` bytes of a chunk, which is most of why it costs a tenth
  of the gear sum's CPU.
- ``gear64`` (format 1, read and still written into format-1 repositories): a rolling sum
  over a 64-byte window of per-byte pseudo-random values (each byte spread over 32 bits by
  add-multiply-xorshift-multiply). The add keeps byte 0 from mapping to 0: otherwise every
  window of a run of zeros (a sparse file's hole) would sum to 0 and be a cut. A window
  ends a chunk where the low ``MASK_BITS`` of the sum are zero. It is computed with numpy
  on 1 MiB blocks and reused buffers.

Both are pure functions of the bytes from a chunk's start, so a file may be cut window by
window: every cut but a window's last is final (``create`` re-reads from the last one).
Fixed-size chunks would cost nothing to find, but one inserted byte would make every later
chunk of the file new.

The parameters are part of the repository format: changing them changes every cut,
so they are stored in the repository's config.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ...errors import DamageFound

GEAR64 = "gear64"  # repository format 1
FASTCDC = "fastcdc2020"  # repository format 2
WINDOW = 64
_BLOCK = 1 << 20
_K0 = 0x2545F491
_K1 = 0x9E3779B1
_K2 = 0x85EBCA77
_SHIFT = 15


@dataclass(frozen=True)
class ChunkerParams:
    """Chunk sizes; stored in the repository config."""

    small_file: int = 1 << 20  # files up to this size are one chunk
    min_size: int = 512 << 10
    mask_bits: int = 20  # average distance between candidate cuts: 1 MiB
    max_size: int = 8 << 20
    algorithm: str = FASTCDC  # a format-1 config names none: it is GEAR64 (see ``from_json``)

    def to_json(self) -> dict[str, int | str]:
        fields: dict[str, int | str] = {
            "small_file": self.small_file,
            "min_size": self.min_size,
            "mask_bits": self.mask_bits,
            "max_size": self.max_size,
        }
        if self.algorithm != GEAR64:  # a format-1 config stays as format 1 wrote it
            fields["algorithm"] = self.algorithm
        return fields

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> ChunkerParams:
        params = cls(**{"algorithm": GEAR64, **fields})
        if params.algorithm not in (GEAR64, FASTCDC):
            raise DamageFound(f"the repository names an unknown chunker '{params.algorithm}': its config is "
                              "damaged, or written by a newer workbench (upgrade it)")
        return params


class _Buffers(threading.local):
    """Per-thread scratch arrays, so chunking a file allocates nothing per block."""

    def __init__(self) -> None:
        import numpy as np

        self.work = np.empty(_BLOCK + WINDOW, np.uint32)
        self.sums = np.empty(_BLOCK, np.uint32)
        self.hits = np.empty(_BLOCK, np.bool_)


_buffers: _Buffers | None = None  # made on first use, so importing this module does not load numpy


def candidate_cuts(data: bytes | memoryview, mask_bits: int) -> list[int]:
    """Positions p (exclusive ends) where the window data[p-64:p] satisfies the cut test.

    Pure function of the bytes: the same content gives the same cuts wherever it sits.
    numpy is imported here, not at module level: most backups of small files never need
    it, and the CLI's start-up time is part of every measured run.
    """
    import numpy as np

    k0, k1, k2, shift = np.uint32(_K0), np.uint32(_K1), np.uint32(_K2), np.uint32(_SHIFT)
    view = memoryview(data)
    total = len(view)
    global _buffers
    if _buffers is None:
        _buffers = _Buffers()
    buffers = _buffers
    mask = np.uint32((1 << mask_bits) - 1)
    cuts: list[int] = []
    # Windows ending in [start, start + _BLOCK) are tested per block; each block's
    # buffer starts WINDOW bytes early so windows spanning block edges are seen.
    for start in range(0, total, _BLOCK):
        lead = min(start, WINDOW)
        origin = start - lead
        block = np.frombuffer(view[origin : start + _BLOCK], np.uint8)
        n = len(block)
        if n < WINDOW:
            break
        prefix = buffers.work[:n]
        np.copyto(prefix, block, casting="unsafe")
        np.add(prefix, k0, out=prefix)
        np.multiply(prefix, k1, out=prefix)
        np.bitwise_xor(prefix, prefix >> shift, out=prefix)
        np.multiply(prefix, k2, out=prefix)
        np.cumsum(prefix, dtype=np.uint32, out=prefix)
        if start == 0 and int(prefix[WINDOW - 1]) & int(mask) == 0:
            cuts.append(WINDOW)  # the first window, bytes [0, 64), has no prefix before it
        # window ending at buffer index i (inclusive) sums prefix[i] - prefix[i - WINDOW]
        sums = buffers.sums[: n - WINDOW]
        np.subtract(prefix[WINDOW:], prefix[: n - WINDOW], out=sums)
        np.bitwise_and(sums, mask, out=sums)
        hits = buffers.hits[: n - WINDOW]
        np.equal(sums, 0, out=hits)
        cuts.extend((np.flatnonzero(hits) + (origin + WINDOW + 1)).tolist())
    return cuts


def chunk_bounds(data: bytes | memoryview, params: ChunkerParams) -> list[tuple[int, int]]:
    """(start, end) of each chunk of ``data``; whole data for small files."""
    total = len(data)
    if total <= params.small_file:
        return [(0, total)]
    if params.algorithm == FASTCDC:
        return _fastcdc_bounds(data, params)
    return list(_gear64_bounds(data, params))


def _fastcdc_bounds(data: bytes | memoryview, params: ChunkerParams) -> list[tuple[int, int]]:
    from pyfastcdc import FastCDC  # not at module level: the CLI's start-up is part of every run

    chunker = FastCDC(1 << params.mask_bits, min_size=params.min_size, max_size=params.max_size,
                      normalized_chunking=1, seed=0)
    return [(chunk.offset, chunk.offset + chunk.length) for chunk in chunker.cut_buf(data)]


def _gear64_bounds(data: bytes | memoryview, params: ChunkerParams) -> Iterator[tuple[int, int]]:
    total = len(data)
    start = 0
    for cut in candidate_cuts(data, params.mask_bits):
        while cut - start > params.max_size:
            yield start, start + params.max_size
            start += params.max_size
        if cut - start >= params.min_size:
            yield start, cut
            start = cut
    while total - start > params.max_size:
        yield start, start + params.max_size
        start += params.max_size
    if start < total:
        yield start, total
