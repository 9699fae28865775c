"""YAML that remembers line numbers, so every profile error can name file, line and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import UsageError


class LineDict(dict):
    """A mapping from YAML that knows the line of each key (1-based) and of itself."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
        return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


def load(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes a UsageError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read profile {path}: {exc.strerror}") from exc
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise UsageError(f"{path}:{line}: malformed YAML: {exc.problem or exc.context}; fix the syntax") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: malformed YAML: {' '.join(str(exc).split())}") from exc  # one line
