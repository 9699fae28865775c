"""What every verb's --help shows: what it does, then how to call it (the examples a test parses)."""

from __future__ import annotations

import argparse
import textwrap

EXAMPLES = "examples:"


def examples_of(text: str, prefix: str) -> str:
    """The lines of ``text``'s examples section that start with ``prefix`` (a line ending in '\\' takes the next)."""
    if EXAMPLES not in text:
        return ""
    picked: list[str] = []
    taking = False
    for line in text[text.index(EXAMPLES) + len(EXAMPLES):].splitlines():
        if not taking:
            taking = line.strip().startswith(prefix + " ") or line.strip() == prefix
        if taking:
            picked.append(line)
            taking = line.rstrip().endswith("\\")
    return "\n".join(picked)


def verb_parser(verbs: argparse._SubParsersAction, name: str, help: str, examples: str, *,
                details: str = "") -> argparse.ArgumentParser:
    """A verb parser: its one-line ``help`` (and ``details``) as the description, ``examples`` as the epilog."""
    description = textwrap.fill(f"{help[0].upper()}{help[1:]}." + (f" {details}" if details else ""), width=78)
    epilog = f"{EXAMPLES}\n{examples}" if examples else None
    return verbs.add_parser(name, help=help, description=description, epilog=epilog,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
