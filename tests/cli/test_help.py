"""Every command and verb teaches in --help: a description and examples, each of which the parser accepts."""

from __future__ import annotations

import argparse
import shlex

import pytest

from workbench.cli.main import COMMANDS, build_parser
from workbench.strategies import catalog

#: Where an example line stops being the workbench's arguments: a shell redirection or pipe.
SHELL_TAIL = (">", ">>", "|", "&&", ";")


def _leaves(parser: argparse.ArgumentParser,
            path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser that runs something (has no sub-commands), with the words that reach it."""
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        return [(path, parser)]
    found = []
    for group in groups:
        for name, child in group.choices.items():
            found += _leaves(child, (*path, name))
    return found


def _examples(help_text: str) -> list[str]:
    """The example command lines of a --help text (a line ending in '\\' goes on on the next)."""
    if "examples:" not in help_text:
        return []
    lines, pending = [], ""
    for raw in help_text.split("examples:", 1)[1].splitlines():
        text = pending + raw.strip()
        if text.endswith("\\"):
            pending = text[:-1] + " "
            continue
        pending = ""
        if text.startswith("workbench "):
            lines.append(text)
    return lines


def _argv(line: str) -> list[str]:
    words = shlex.split(line, comments=True)[1:]
    for index, word in enumerate(words):
        if word in SHELL_TAIL:
            return words[:index]
    return words


def _parse(argv: list[str]) -> argparse.Namespace:
    try:
        return build_parser().parse_args(argv)
    except SystemExit as exc:
        raise AssertionError(f"the parser refused the example: workbench {shlex.join(argv)}") from exc


LEAVES = _leaves(build_parser())


def test_the_tree_has_every_command() -> None:
    assert {path[0] for path, _ in LEAVES} == set(COMMANDS)


@pytest.mark.parametrize("path,parser", LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_each_verb_has_a_description_and_an_example_the_parser_accepts(path: tuple[str, ...],
                                                                     parser: argparse.ArgumentParser) -> None:
    assert parser.description and len(parser.description.split()) >= 4, f"{' '.join(path)} says nothing"
    examples = _examples(parser.format_help())
    assert examples, f"'workbench {' '.join(path)} --help' shows no example"
    own = [line for line in examples if _argv(line)[: len(path)] == list(path)]
    assert own, f"no example of 'workbench {' '.join(path)}' among {examples}"
    for line in examples:
        args = _parse(_argv(line))
        assert callable(args.func)
        nested = shlex.split(getattr(args, "run", None) or "")  # a crash example runs a command of its own
        if nested[:1] == ["workbench"]:
            _parse(nested[1:])


def _commands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The top parser and every parser with verbs under it: their --help shows examples too."""
    found = [parser]
    for group in (a for a in parser._actions if isinstance(a, argparse._SubParsersAction)):
        for child in group.choices.values():
            if any(isinstance(a, argparse._SubParsersAction) for a in child._actions):
                found += _commands(child)
    return found


def test_the_examples_of_the_top_and_of_each_command_parse() -> None:
    parsers = _commands(build_parser())
    assert len(parsers) >= 7  # workbench, disk, dataset, image, clone, backup, mirror, fault
    for parser in parsers:
        examples = _examples(parser.format_help())
        assert examples, f"'{parser.prog} --help' shows no example"
        for line in examples:
            _parse(_argv(line))


@pytest.mark.parametrize("command", catalog.commands())
def test_strategy_verbs_are_the_tables(command: str) -> None:
    verbs = {path[1] for path, _ in LEAVES if path[0] == command}
    assert verbs == set(catalog.verbs_of(command))


def test_a_bad_example_would_be_caught() -> None:
    """The check is real: the example 'fault --help' once showed does not parse."""
    bad = "workbench fault inject crash-during-protect --when-path r --run 'workbench backup protect pc.img repo'"
    nested = shlex.split(_parse(_argv(bad)).run)
    with pytest.raises(AssertionError, match="refused the example"):
        _parse(nested[1:])
