"""Building many objects at once without the cyclic garbage collector walking them over and over.

A scan of 24,000 entries makes some 100,000 objects, none in a reference cycle; each
700 new objects start a collection, and the ever larger older generations are walked
again and again. Pausing the collector while such a structure is built took a fifth off
a mirror scan of the laptop tree (0.35 against 0.43 CPU s, best of four, measured), and it was
7 % of an incremental backup's CPU (the base tree and the new one, 24,000 entries each).
Reference counting still frees everything at once; only cycles wait for the next
collection, which runs as usual once the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic collector in the block (if it was running), and let it run again after."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()
