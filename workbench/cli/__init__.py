"""Command-line interface: argument parsing and printing only; the commands are ``workbench.commands``."""
