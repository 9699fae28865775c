"""Whole-disk images: a documented chunked format (format.py), ext4 read by its bitmaps, incrementals."""

from .engine import ImageStrategy

__all__ = ["ImageStrategy"]
