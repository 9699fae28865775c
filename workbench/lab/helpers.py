"""Small helpers a lesson shows its findings with: a stopwatch and a hex dump."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Stopwatch:
    seconds: float = 0.0  # real seconds the block took; set when it ends


@contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    """Time a block in real seconds: ``with lab.stopwatch() as clock: ...``, then ``clock.seconds``."""
    watch = Stopwatch()
    started = time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - started


def hexdump(data: bytes, width: int = 16) -> str:
    """Bytes as offset, hex and printable text, one line per ``width`` bytes, like ``xxd``."""
    lines = []
    for start in range(0, len(data), width):
        chunk = data[start:start + width]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{start:08x}  {chunk.hex(' '):<{width * 3}} {text}")
    return "\n".join(lines)
