"""``workbench completion SHELL``: the shell's completion script, generated from the parser (shtab)."""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh", "tcsh")

HELP = """\
Prints a completion script for your shell, generated from the same parser the
commands use, so it always knows every command and option.

examples:
  workbench completion bash > ~/.local/share/bash-completion/completions/workbench
  workbench completion zsh > ~/.zfunc/_workbench     # with fpath+=~/.zfunc before compinit
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("completion", help="print a shell completion script (bash, zsh, tcsh)",
                            description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import shtab

    from .main import build_parser

    print(shtab.complete(build_parser(), shell=args.shell))
    return 0
