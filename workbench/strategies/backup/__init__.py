"""File-level versioned backup: deduplicated, compressed, content-addressed snapshots.

``BackupStrategy`` (engine.py) is the entry point. The modules, each with one job:
chunker (where chunks are cut), repo (the on-disk format), snapshot (what a tree records),
create (taking a snapshot), restore, check (verify), retention (pure keep rules), prune.
"""

from .engine import BackupStrategy
from .retention import KeepPolicy, plan_retention
from .snapshot import Selection

__all__ = ["BackupStrategy", "KeepPolicy", "Selection", "plan_retention"]
