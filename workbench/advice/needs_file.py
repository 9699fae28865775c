"""A person's needs written down: a YAML file (or a ``needs:`` block in one) read into ``Needs``.

::

    needs:
      threats: [ransomware, deletion]   # the scenarios that matter; none: every one measured
      max_rpo_hours: 24                 # at most a day of work lost
      max_rto_s: 120                    # back within two minutes (real seconds on this machine)
      max_space: 2G                     # or max_space_ratio: 1.5 (space / the data's size)
      prefer: recovery                  # what comes first among the fits: space (default), recovery, restore-point
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import UsageError
from ..units import format_bytes, parse_size
from .recommend import PRIORITIES, Needs

KEYS = {"threats", "max_rpo_hours", "max_rto_s", "max_space", "max_space_ratio", "max_lost_share", "profile",
        "prefer"}


def load_needs(path: str | Path) -> Needs:
    """The needs in a YAML file; an unknown key or a bad value is a one-line usage error."""
    source = Path(path)
    try:
        doc = yaml.safe_load(source.read_text()) or {}
    except OSError as exc:
        raise UsageError(f"cannot read needs file '{source}': {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"needs file '{source}' is not YAML: {str(exc).splitlines()[0]}") from exc
    data: Any = doc.get("needs", doc) if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        raise UsageError(f"needs file '{source}' holds no needs: write keys such as max_rpo_hours: 24")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise UsageError(f"needs file '{source}': unknown key(s) {', '.join(unknown)}; use {', '.join(sorted(KEYS))}")
    if str(data.get("prefer", "space")) not in PRIORITIES:
        raise UsageError(f"needs file '{source}': prefer is one of {', '.join(PRIORITIES)}, not '{data['prefer']}'")
    threats = data.get("threats") or ()
    try:
        return Needs(threats=tuple(threats.split(",") if isinstance(threats, str) else map(str, threats)),
                     max_rpo_hours=_number(data.get("max_rpo_hours")), max_rto_s=_number(data.get("max_rto_s")),
                     max_space_bytes=parse_size(str(data["max_space"])) if data.get("max_space") else None,
                     max_space_ratio=_number(data.get("max_space_ratio")),
                     max_lost_share=float(data.get("max_lost_share", 0.25)), profile=data.get("profile"),
                     prefer=str(data.get("prefer", "space")))
    except (TypeError, ValueError) as exc:
        raise UsageError(f"needs file '{source}': {exc}") from exc


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def in_words(needs: Needs) -> tuple[str, ...]:
    """The needs as a report states them: 'threats: ransomware', 'RPO at most 24 h', ..."""
    words = [f"threats: {', '.join(needs.threats)}" if needs.threats else "threats: every scenario measured"]
    if needs.max_rpo_hours is not None:
        words.append(f"RPO at most {needs.max_rpo_hours:g} h")
    if needs.max_rto_s is not None:
        words.append(f"RTO at most {needs.max_rto_s:g} s")
    if needs.max_space_bytes is not None:
        words.append(f"space at most {format_bytes(needs.max_space_bytes)}")
    if needs.max_space_ratio is not None:
        words.append(f"space at most {needs.max_space_ratio:g}× the data")
    if needs.prefer != "space":
        words.append(f"first {PRIORITIES[needs.prefer]}")
    return tuple(words)
