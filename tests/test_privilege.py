"""Privilege lives in one place: only ``workbench.disk`` runs disk tools, only ``proc.py`` runs subprocesses.

Checked twice: ``proc`` refuses at run time (the suite runs with the check
on), and an AST pass over the package finds every ``proc.run/text/spawn``
call whose command line starts with a disk tool. A grep would not do:
``blockdev`` is also a backup entry type.
"""

from __future__ import annotations

import ast
import functools
import os
import sys
import tempfile
from pathlib import Path

import pytest

from workbench import proc

PACKAGE = Path(proc.__file__).parent
CALLS = {"run", "text", "spawn", "pipe"}  # pipe(first, second): both command lines are read


# ---- at run time ----

def _run_as(module: str, source: str) -> object:
    """Run ``source`` as if it were code of ``module`` (what proc reads to know its caller)."""
    scope = {"__name__": module, "proc": proc}
    exec(compile(source, f"<{module}>", "exec"), scope)
    return scope.get("result")


def test_the_suite_runs_with_the_check_on() -> None:
    assert os.environ.get(proc.CHECK_ENV) == "1"


@pytest.mark.parametrize("call", ['proc.run(["losetup", "--version"])', 'proc.text(["/usr/sbin/mkfs.btrfs", "-V"])',
                                  'proc.spawn(["blockdev", "--version"], stderr=None)'])
def test_a_disk_tool_from_outside_disk_is_refused(call: str) -> None:
    with pytest.raises(proc.DiskToolOutsideDisk, match="workbench.strategies.mirror.raid1 runs the disk tool"):
        _run_as("workbench.strategies.mirror.raid1", f"result = {call}")


def test_the_disk_layer_may_run_disk_tools() -> None:
    done = _run_as("workbench.disk.loop", 'result = proc.run(["losetup", "--version"])')
    assert b"losetup" in done.stdout


def test_any_module_may_run_other_tools_and_ask_versions() -> None:
    assert _run_as("workbench.truth.manifest", 'result = proc.text(["cp", "--version"])').startswith("cp")
    assert _run_as("workbench.results.store", 'result = proc.version("mkfs.ext4")').startswith("mke2fs")


def test_tests_and_benchmarks_may_look_at_a_disk() -> None:
    """The rule holds the package: code outside it (tests, benchmarks) may run a disk tool to inspect."""
    assert _run_as("tests.faults.test_fault_bitrot", 'result = proc.text(["losetup", "--version"])')


def test_with_the_check_off_nothing_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(proc.CHECK_ENV)
    assert _run_as("workbench.experiment.machine", 'result = proc.text(["losetup", "--version"])')


def test_the_caller_is_the_first_module_outside_proc() -> None:
    assert _run_as("workbench.faults.crash", "result = proc.caller_module()") == "workbench.faults.crash"


def test_a_spawned_child_runs_in_its_own_group_and_is_killed_with_it() -> None:
    with tempfile.TemporaryFile() as errors:
        child = proc.spawn([sys.executable, "-c", "import time; time.sleep(60)"], stderr=errors)
        try:
            assert os.getpgid(child.pid) == child.pid != os.getpgid(0)
            assert proc.kill_group(child)
        finally:
            returncode = child.wait(timeout=30)
    assert returncode == -9
    assert not proc.kill_group(child)  # gone: nothing left to kill


# ---- by AST, over the package ----

@functools.cache
def _package_trees() -> tuple[tuple[str, ast.Module], ...]:
    """(path relative to the checkout, parsed module) of every module of the package, parsed once."""
    return tuple((str(path.relative_to(PACKAGE.parent)), ast.parse(path.read_text()))
                 for path in sorted(PACKAGE.rglob("*.py")))


def _assignments(tree: ast.AST) -> dict[int, dict[str, list[ast.expr]]]:
    """For each function (by id; 0 for the module), the values assigned to each plain name in it
    (``x = ...`` and ``x: T = ...`` alike)."""
    found: dict[int, dict[str, list[ast.expr]]] = {}

    def visit(node: ast.AST, scope: int) -> None:
        for child in ast.iter_child_nodes(node):
            inner = id(child) if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else scope
            if isinstance(child, ast.Assign):
                for target in child.targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(scope, {}).setdefault(target.id, []).append(child.value)
            elif isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name) and child.value is not None:
                found.setdefault(scope, {}).setdefault(child.target.id, []).append(child.value)
            visit(child, inner)

    visit(tree, 0)
    return found


def _first_words(node: ast.expr, names: dict[str, list[ast.expr]], depth: int = 0) -> set[str]:
    """The literal first word(s) a command line may start with: a list literal, a name bound to one, a sum."""
    if depth > 5:
        return set()
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        first = node.elts[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return {Path(first.value).name}
        if isinstance(first, ast.Starred):
            return _first_words(first.value, names, depth + 1)
        return set()
    if isinstance(node, ast.Name):
        return set().union(*(_first_words(value, names, depth + 1) for value in names.get(node.id, [])))
    if isinstance(node, ast.BinOp):
        return _first_words(node.left, names, depth + 1)
    return set()


def _imported_calls(tree: ast.AST) -> set[str]:
    """Local names of proc's calls imported as functions (``from ..proc import run as execute``)."""
    return {alias.asname or alias.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "proc"
            for alias in node.names if alias.name in CALLS}


def command_sites(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, tool) of every proc.run/text/spawn call in a module whose command's first word is known."""
    imported = _imported_calls(tree)
    scopes = _assignments(tree)
    sites = []

    def visit(node: ast.AST, scope: int) -> None:
        for child in ast.iter_child_nodes(node):
            inner = id(child) if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else scope
            if isinstance(child, ast.Call) and child.args and _is_proc_call(child.func, imported):
                names = {**scopes.get(0, {}), **scopes.get(scope, {})}
                lines = child.args if getattr(child.func, "attr", "") == "pipe" else child.args[:1]
                sites.extend((child.lineno, word) for line in lines for word in sorted(_first_words(line, names)))
            visit(child, inner)

    visit(tree, 0)
    return sites


def _is_proc_call(func: ast.expr, imported: set[str]) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr in CALLS and isinstance(func.value, ast.Name) and func.value.id == "proc"
    return isinstance(func, ast.Name) and func.id in imported


def test_the_scanner_reads_literals_names_and_starred_lists_but_not_entry_types() -> None:
    source = '''
from .. import proc
from ..proc import text as read

def f(device, real, entry):
    args = ["losetup", "--find"]
    proc.run([*args, real])
    argv = ["e2fsck", "-fn", real]
    proc.run(argv, check=False)
    read(["/usr/sbin/blockdev", "--flushbufs", device])
    proc.spawn(["python3", "-c", "pass"], stderr=None)
    entry.update(type="blockdev")
    run(["mount", real])  # not proc's run
    typed: list[str] = ["umount", real]
    proc.run(typed)
'''
    assert command_sites(ast.parse(source)) == [(7, "losetup"), (9, "e2fsck"), (10, "blockdev"), (11, "python3"),
                                                (15, "umount")]


def test_disk_tools_are_called_only_under_disk() -> None:
    outside, inside = [], set()
    for relative, tree in _package_trees():
        for line, tool in command_sites(tree):
            if tool not in proc.DISK_TOOLS:
                continue
            if relative.startswith("workbench/disk/"):
                inside.add(tool)
            else:
                outside.append(f"{relative}:{line} runs {tool}")
    assert outside == [], "disk tools outside workbench/disk/ (ask a disk/ function instead):\n" + "\n".join(outside)
    # The scan sees the real call sites, so an empty list above means something.
    assert {"losetup", "mount", "umount", "sfdisk", "sgdisk", "e2fsck", "mkfs.btrfs", "btrfs", "debugfs",
            "dumpe2fs", "filefrag", "blockdev", "fsfreeze", "mcopy", "partclone.chkimg"} <= inside


def process_starts(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, what) of every way a module could start a process itself: subprocess and friends, os.system..."""
    found = []
    for node in ast.walk(tree):
        modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                   else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        found.extend((node.lineno, name) for name in modules
                     if name.split(".")[0] in ("subprocess", "multiprocessing", "pty"))
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
                and node.attr.startswith(("system", "popen", "spawn", "exec", "posix_spawn", "fork"))):
            found.append((node.lineno, f"os.{node.attr}"))
    return found


def test_the_process_scan_sees_imports_and_os_calls() -> None:
    source = "import subprocess\nfrom multiprocessing import Pool\nimport os\nos.system('x')\nos.path.join('a')\n"
    assert process_starts(ast.parse(source)) == [(1, "subprocess"), (2, "multiprocessing"), (4, "os.system")]


def test_only_proc_starts_processes() -> None:
    found = [f"{relative}:{line} {what}" for relative, tree in _package_trees() if relative != "workbench/proc.py"
             for line, what in process_starts(tree)]
    assert found == [], "processes started outside workbench/proc.py (use proc.run/text/spawn):\n" + "\n".join(found)
