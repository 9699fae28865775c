"""Reading a JSON file, with one line that names the file when it cannot be read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import UsageError, WorkbenchError


def read_json(path: Path, what: str, *, fix: str, damaged: type[WorkbenchError] = UsageError) -> Any:
    """The JSON value in ``path``, or None when there is no such file.

    A file that cannot be read or is not JSON raises ``damaged`` with one line,
    ``'PATH' is not a readable WHAT (why): FIX``. Which kind that is depends on
    who wrote the file: ``UsageError`` (the default) for one a user names, a manifest
    or a bad-sector list; ``DamageFound`` for one the workbench keeps in its own store,
    a mirror record or a repository's config, where a bad one is damage.
    """
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise damaged(f"'{path}' is not a readable {what} ({exc.strerror}): {fix}") from exc
    try:
        return json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise damaged(f"'{path}' is not a readable {what} (bad JSON: {exc}): {fix}") from exc
