"""The error kinds match docs/errors.md: each class's exit code, every raise in the package, the CLI's codes."""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import inspect
import json
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

import workbench
from workbench import errors
from workbench.cli.main import main
from workbench.errors import WorkbenchError

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "workbench"
DOC = ROOT / "docs" / "errors.md"

#: Built-in exceptions a raise may use for a bug, which no input of a user's can trigger: a broken
#: invariant (AssertionError), a method a subclass must write, a call that passes what a function
#: does not take (TypeError, as in the results schema), an object used in the wrong state.
BUG_KINDS = (AssertionError, NotImplementedError, TypeError, RuntimeError)
#: Modules whose raises answer another program, not a user: the FUSE server answers the kernel with
#: an errno (OSError, mfusepy's FuseOSError), from callbacks no user's call reaches.
PROTOCOL_MODULES = {"workbench.disk.sector_server"}
#: Raises of a value the code does not name statically: (module, expression, what it is).
DYNAMIC = {
    ("workbench.workers", "result"): "a worker's exception, raised again in the caller",
    ("workbench.jsonfile", "damaged"): "the WorkbenchError class the caller passes",
    ("workbench.strategies.mirror.raid1", "first"): "the WorkbenchError the first way of mounting raised",
}


def _all_modules() -> list[str]:
    names = ["workbench"]
    for info in pkgutil.walk_packages(workbench.__path__, "workbench."):
        names.append(info.name)
    return [n for n in names if n != "workbench.__main__"]


def _documented_codes() -> dict[str, int]:
    """Class name -> exit code, from the table in docs/errors.md."""
    codes: dict[str, int] = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].isdigit():
            for name in re.findall(r"`(\w+)`", cells[1]):
                codes[name] = int(cells[0])
    return codes


def test_every_error_class_has_the_exit_code_the_policy_gives_it() -> None:
    for name in _all_modules():
        importlib.import_module(name)  # so that every subclass, wherever it lives, is defined
    documented = _documented_codes()
    declared = {name: cls for name, cls in vars(errors).items()
                if inspect.isclass(cls) and issubclass(cls, WorkbenchError) and cls is not WorkbenchError}
    assert set(declared) == set(documented), "docs/errors.md's table and errors.py name other classes"
    for name, cls in declared.items():
        assert cls.exit_code == documented[name], name
    assert {cls.exit_code for cls in declared.values()} == {1, 2, 3}

    def subclasses(cls: type) -> list[type]:
        return [sub for direct in cls.__subclasses__() for sub in (direct, *subclasses(direct))]

    for cls in subclasses(WorkbenchError):  # those beside their modules (ChunkDamaged, ImageDamaged, ...)
        kind = next(base for base in cls.__mro__ if base.__module__ == "workbench.errors")
        assert kind is not WorkbenchError, f"{cls.__qualname__} is of no kind: derive it from one"
        assert cls.exit_code == kind.exit_code, f"{cls.__qualname__} changes the exit code of {kind.__name__}"


def _raised(expr: ast.expr | None) -> list[ast.expr]:
    """What a raise's expression makes: one class or value, or each branch of ``A(...) if ... else b(...)``."""
    if expr is None:
        return []  # a bare raise: the exception being handled
    if isinstance(expr, ast.IfExp):
        return _raised(expr.body) + _raised(expr.orelse)
    return [expr.func if isinstance(expr, ast.Call) else expr]


def _resolve(module: ModuleType, expr: ast.expr, imported_inside: dict[str, object]) -> object:
    if isinstance(expr, ast.Name):
        for scope in (vars(module), imported_inside, vars(builtins)):
            if expr.id in scope:
                return scope[expr.id]
        return None
    if isinstance(expr, ast.Attribute):
        owner = _resolve(module, expr.value, imported_inside)
        return getattr(owner, expr.attr, None)
    return None


def _imported_inside(module: ModuleType, tree: ast.Module) -> dict[str, object]:
    """What ``from X import Y`` inside functions binds (an import kept out of the module's top)."""
    names: dict[str, object] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = importlib.import_module(importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                                        module.__package__ or ""))
            for alias in node.names:
                names[alias.asname or alias.name] = getattr(source, alias.name, None)
    return names


def _kind(found: object) -> type | None:
    """The exception class a raised expression makes: a class, or what a function that builds one returns."""
    if inspect.isclass(found):
        return found
    if inspect.isfunction(found):
        returned = inspect.get_annotations(found, eval_str=True).get("return")
        return returned if inspect.isclass(returned) else None
    return None


def test_every_raise_in_the_package_is_of_the_family_or_a_bug_check() -> None:
    strays: list[str] = []
    for name in _all_modules():
        if name in PROTOCOL_MODULES:
            continue
        module = importlib.import_module(name)
        path = Path(module.__file__ or "")
        tree = ast.parse(path.read_text())
        inside = _imported_inside(module, tree)
        for node in ast.walk(tree):
            for expr in _raised(node.exc) if isinstance(node, ast.Raise) else []:
                strays += _stray(module, name, path, node, expr, inside)
        strays = [s for s in strays if not _answers_attribute_lookup(tree, s)]
    assert not strays, "raise a kind of WorkbenchError (docs/errors.md), or a bug check:\n" + "\n".join(strays)


def _answers_attribute_lookup(tree: ast.Module, stray: str) -> bool:
    """A module's ``__getattr__`` raising AttributeError: Python's protocol for a name it lacks."""
    line = int(stray.split(":")[1])
    return stray.endswith("(AttributeError)") and any(
        isinstance(f, ast.FunctionDef) and f.name == "__getattr__" and f.lineno <= line <= (f.end_lineno or 0)
        for f in tree.body)


def _stray(module: ModuleType, name: str, path: Path, node: ast.Raise, expr: ast.expr,
           inside: dict[str, object]) -> list[str]:
    """[where] when this raise is of none of the allowed kinds, else []."""
    where = f"{path.relative_to(ROOT)}:{node.lineno}: raise {ast.unparse(expr)}"
    if (name, ast.unparse(expr)) in DYNAMIC:
        return []
    kind = _kind(_resolve(module, expr, inside))
    assert kind is not None, f"{where}: cannot tell what it raises (add it to DYNAMIC with a reason)"
    return [] if issubclass(kind, (WorkbenchError, errors.Interrupted, *BUG_KINDS)) else [f"{where} ({kind.__name__})"]


# ----- the exit codes the CLI returns ------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("workbench: error: "), err  # one line, no traceback
    return code, err


@pytest.fixture
def source(workspace: Path) -> Path:
    (workspace / "src/docs").mkdir(parents=True)
    (workspace / "src/docs/a.txt").write_text("alpha\n" * 100)
    return workspace / "src"


def test_a_damaged_mirror_record_is_damage_found(workspace: Path, source: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mirror", "protect", "--checksum", "--source", "src", "--target", "m"]) == 0
    from workbench.strategies.mirror.record import SYNC_NAME

    record = workspace / "m" / SYNC_NAME
    record.write_bytes(record.read_bytes()[:-7])  # cut short, as a crash of a writer without fsync could
    capsys.readouterr()
    code = main(["mirror", "verify", "--target", "m"])
    out, err = capsys.readouterr()
    assert code == 1 and "is not a readable mirror record" in out, "verify lists the record among the damage"
    code, err = _run(capsys, "mirror", "points", "--target", "m")
    assert code == 1 and "is not a readable mirror record" in err


def test_a_damaged_dataset_state_is_damage_found(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dataset", "build", "classroom", "--into", "t", "--data-size", "4M"]) == 0
    from workbench.workload.fsops import STATE_PATH

    state = workspace / "t" / STATE_PATH
    state.write_text(state.read_text().replace("{", "[", 1))
    code, err = _run(capsys, "dataset", "churn", "classroom", "--into", "t", "--day", "1")
    assert code == 1 and "dataset state" in err and "rebuild the dataset" in err


def test_a_damaged_backup_snapshot_or_config_is_damage_found(workspace: Path, source: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup", "protect", "--source", "src", "--target", "repo"]) == 0
    (snapshot,) = (workspace / "repo/snapshots").iterdir()
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0x10
    snapshot.write_bytes(bytes(data))
    code, err = _run(capsys, "backup", "points", "--target", "repo")
    assert code == 1 and f"snapshot {snapshot.name} is damaged" in err
    (workspace / "repo/config").write_text('{"format": "workbench-backup", "vers')
    code, err = _run(capsys, "backup", "points", "--target", "repo")
    assert code == 1 and "is not a readable repository config" in err


@pytest.mark.parametrize("argv,message", [
    (["disk", "create", "pc.img", "--size", "12Q"], "is not a size"),
    (["compare", "--scenarios", "meteor", "--strategies", "backup", "--out", "r"], "unknown scenario 'meteor'"),
    (["fault", "inject", "bitrot", "--disk", "nosuch.img"], "'nosuch.img' does not exist"),
    (["compare-tree", "notes.json", "src"], "is not a readable manifest (bad JSON"),
    (["mirror", "verify", "--target", "/etc"], "outside the workspace"),
])
def test_bad_input_is_a_usage_error(workspace: Path, source: Path, capsys: pytest.CaptureFixture[str],
                                    argv: list[str], message: str) -> None:
    (workspace / "notes.json").write_text(json.dumps({"a": 1})[:-1])  # a file of the user's, not a manifest
    code, err = _run(capsys, *argv)
    assert code == 2 and message in err


def test_a_clone_hash_list_with_a_damaged_header_is_damage_found(tmp_path: Path) -> None:
    from workbench.errors import DamageFound
    from workbench.strategies.clone import _MAGIC, hashes_path, read_record

    clone = tmp_path / "pc-clone.img"
    hashes_path(clone).write_bytes(_MAGIC + (40).to_bytes(4, "little") + b'{"id": "clone-1", "ti')
    with pytest.raises(DamageFound, match="pc-clone.img.hashes is damaged"):
        read_record(clone)
