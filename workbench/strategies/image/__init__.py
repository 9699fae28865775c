"""Whole-disk images: a documented chunked format (format.py), ext4 read by its bitmaps, incrementals.

``ImageStrategy`` loads on first use: the clone imports a few helpers of this
package (plan, readbuf, destination) and need not pay for the whole engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import ImageStrategy

__all__ = ["ImageStrategy"]


def __getattr__(name: str) -> Any:
    if name == "ImageStrategy":
        from .engine import ImageStrategy

        return ImageStrategy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
