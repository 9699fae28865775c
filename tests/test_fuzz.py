"""Garbage in: fuzzed YAML for the profile, scenario and claims parsers, fuzzed argument lists for the CLI.

Every case ends in a result or in one WorkbenchError line (exit 0-3), never in a traceback,
and nothing outside the workspace changes: a decoy file beside it keeps its hash, and a
writable decoy loop device (attached by the test to a file outside, its path among the
fuzzed ones) is never written: its backing file keeps its hash and the write counters of
its ``/sys/block/loopN/stat`` do not move. The
examples are few so the suite stays fast; ``WORKBENCH_FUZZ_EXAMPLES=2000`` runs more.
The CLI is fuzzed as root in a workspace on a small loop filesystem, with the hypothesis
example database off.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import blake3
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from workbench.advice.claims import load_claims
from workbench.cli.main import main
from workbench.disk.create import create_disk
from workbench.disk.mounting import mounted
from workbench.errors import WorkbenchError
from workbench.experiment.scenario import SCENARIO_DIR, load_scenario
from workbench.workload.profile import DATASETS_DIR, load_profile

EXAMPLES = int(os.environ.get("WORKBENCH_FUZZ_EXAMPLES", "0"))
# No shrinking: a failing case is shown as drawn (shrinking a whole profile takes minutes).
FUZZ = settings(max_examples=EXAMPLES or 60, database=None, deadline=None, derandomize=not EXAMPLES,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CLI_FUZZ = settings(FUZZ, max_examples=EXAMPLES or 40)

SHIPPED = {
    "profile": sorted(p for p in DATASETS_DIR.glob("*.yaml") if p.name != "claims.yaml"),
    "scenario": sorted(SCENARIO_DIR.glob("*.yaml")),
    "claims": [DATASETS_DIR / "claims.yaml"],
}
LOADERS: dict[str, Callable[[Path], Any]] = {
    "profile": load_profile,
    "scenario": lambda path: load_scenario(str(path)),
    "claims": load_claims,
}


def _keys(doc: Any) -> Iterator[str]:
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield str(key)
            yield from _keys(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from _keys(item)


KNOWN_KEYS = sorted({key for files in SHIPPED.values() for path in files
                     for key in _keys(yaml.safe_load(path.read_text()))})
SCALARS = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20)
           | st.sampled_from(["1G", "-1", "0", "1e400", "..", "/etc/passwd", "~", "a\nb", "x" * 300]))
DOCS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=8), inner, max_size=5),
                    max_leaves=25)


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> str:
    """A shipped file with a few lines deleted, repeated, cut or replaced by garbage."""
    lines = draw(st.sampled_from(SHIPPED[kind])).read_text().splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["delete", "repeat", "cut", "garbage", "value"]))
        if how == "delete":
            del lines[at]
        elif how == "repeat":
            lines.insert(at, lines[at])
        elif how == "cut":
            lines[at] = lines[at][:draw(st.integers(0, len(lines[at])))]
        elif how == "garbage":
            lines[at] = draw(st.text(max_size=40))
        elif ":" in lines[at]:
            key = lines[at].split(":", 1)[0]
            lines[at] = f"{key}: {yaml.safe_dump(draw(SCALARS), default_flow_style=True).splitlines()[0]}"
    return "\n".join(lines)


def _documents(kind: str) -> st.SearchStrategy[str]:
    return mutated(kind) | DOCS.map(lambda doc: yaml.safe_dump(doc, allow_unicode=True))


def _one_line_or_result(load: Callable[[Path], Any], path: Path) -> None:
    try:
        load(path)
    except WorkbenchError as exc:
        assert 0 <= exc.exit_code <= 3 and "\n" not in str(exc), str(exc)


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_a_parser_fed_garbage_answers_in_one_line(kind: str, tmp_path: Path) -> None:
    seen = []

    @FUZZ
    @given(text=_documents(kind))
    def case(text: str) -> None:
        path = tmp_path / f"fuzzed-{kind}.yaml"
        path.write_text(text)
        seen.append(text)
        _one_line_or_result(LOADERS[kind], path)

    case()
    print(f"fuzz {kind} parser: {len(seen)} cases, 0 tracebacks")


# -- the CLI ---------------------------------------------------------------------------------


@pytest.fixture
def small_workspace(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """(a workspace on a small mounted filesystem, a decoy file outside it a symlink inside leads to)."""
    decoy = tmp_path / "outside" / "decoy.txt"
    decoy.parent.mkdir()
    decoy.write_bytes(os.urandom(4096))
    disk = create_disk("fuzz.img", "data", 96 << 20)
    with mounted(disk, "data") as point:
        home = point / "ws"
        home.mkdir()
        (home / "out").symlink_to(decoy.parent)
        (home / "tree").mkdir()
        (home / "tree" / "a.txt").write_text("a")
        monkeypatch.setenv("WORKBENCH_HOME", str(home))
        yield home, decoy


@dataclass(frozen=True)
class DecoyLoop:
    """A writable loop device over a file outside the workspace, which no fuzzed command may write."""

    device: str
    backing: Path

    def write_counters(self) -> tuple[int, int] | None:
        """(writes completed, sectors written) from ``/sys/block/loopN/stat``; None where sysfs lacks it."""
        try:
            fields = (Path("/sys/block") / Path(self.device).name / "stat").read_text().split()
        except OSError:
            return None
        return int(fields[4]), int(fields[6])


@pytest.fixture
def decoy_loop(tmp_path: Path) -> Iterator[DecoyLoop]:
    """Attach (read-write) a small file under tmp_path/outside-loop; detached in the finalizer."""
    backing = tmp_path / "outside-loop" / "decoy-disk.img"
    backing.parent.mkdir()
    backing.write_bytes(os.urandom(1 << 20))
    device = subprocess.run(["losetup", "--find", "--show", str(backing)], capture_output=True, text=True,
                            check=True).stdout.strip()
    try:
        yield DecoyLoop(device, backing)
    finally:
        subprocess.run(["losetup", "--detach", device], check=True)


def _paths(decoy: Path, device: str) -> st.SearchStrategy[str]:
    return (st.sampled_from([str(decoy), str(decoy.parent), device, "out/decoy.txt", "out", "../x.img",
                             "../../etc/passwd", "/etc/passwd", "/dev/null", "/dev/zero", "/dev/loop0", "tree",
                             "tree/a.txt", ".", "..", "a\nb.img", "x" * 300, "y/" * 2100, "-", "", "fuzz.img",
                             "new.img"])
            | st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=30))


COMMANDS = [
    ["disk", "create", "{p}", "--size", "{s}"], ["disk", "check", "{p}"], ["disk", "list"],
    ["manifest", "{p}", "--out", "{p}"], ["compare-tree", "{p}", "{p}"],
    ["backup", "protect", "--source", "{p}", "--target", "{p}"], ["backup", "verify", "--target", "{p}"],
    ["image", "protect", "--disk", "{p}", "--target", "{p}"], ["clone", "protect", "--disk", "{p}", "--target", "{p}"],
    ["mirror", "protect", "--source", "{p}", "--target", "{p}"], ["dataset", "build", "{p}", "--profile", "{p}"],
]
SIZES = st.sampled_from(["10T", "1M", "-5", "abc", "0", "9" * 30, "64M", "1.5G"])


def _hash(path: Path) -> str:
    return blake3.blake3(path.read_bytes()).hexdigest()


@pytest.mark.root
@pytest.mark.timeout(600)
def test_the_cli_fed_garbage_exits_0_to_3_in_one_line_and_writes_nothing_outside(
        small_workspace: tuple[Path, Path], decoy_loop: DecoyLoop, capsys: pytest.CaptureFixture[str]) -> None:
    home, decoy = small_workspace
    before = _hash(decoy)
    device_before = _hash(decoy_loop.backing), decoy_loop.write_counters()
    seen: list[list[str]] = []

    @CLI_FUZZ
    @given(data=st.data())
    def case(data: st.DataObject) -> None:
        words = data.draw(st.sampled_from(COMMANDS))
        paths = _paths(decoy, decoy_loop.device)
        argv = [data.draw(paths) if w == "{p}" else data.draw(SIZES) if w == "{s}" else w for w in words]
        argv += data.draw(st.lists(st.sampled_from(["--force", "--json", "--full", "--now", "x", "--", "-v"]),
                                   max_size=2))
        capsys.readouterr()
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help or a usage error
            code = exc.code if isinstance(exc.code, int) else 2
        err = capsys.readouterr().err
        seen.append(argv)
        assert 0 <= code <= 3, (argv, code, err)
        assert "Traceback" not in err and err.count("\n") <= 1, (argv, err)
        assert _hash(decoy) == before, argv
        assert decoy_loop.write_counters() == device_before[1], argv

    case()
    assert _hash(decoy) == before
    assert (_hash(decoy_loop.backing), decoy_loop.write_counters()) == device_before
    watched = "backing file hash and sysfs write counters" if device_before[1] is not None else "backing file hash"
    print(f"fuzz CLI: {len(seen)} argument lists over {len(COMMANDS)} commands, 0 tracebacks, 0 writes outside "
          f"(decoy file; decoy loop device {decoy_loop.device}: {watched})")


@pytest.mark.root
def test_the_decoy_loop_device_watch_sees_a_write(decoy_loop: DecoyLoop) -> None:
    """The control: one write to the decoy device moves what the fuzz test watches."""
    before = _hash(decoy_loop.backing), decoy_loop.write_counters()
    fd = os.open(decoy_loop.device, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.pwrite(fd, b"\xff" * 4096, 0)
        os.fsync(fd)
    finally:
        os.close(fd)
    assert _hash(decoy_loop.backing) != before[0]
    if before[1] is not None:
        assert decoy_loop.write_counters() != before[1]
