"""What every benchmark shares: running a command measured, interleaved runs, fresh filesystems, records.

A benchmark script names its *sides* (ours, the reference tools, the limits), gives one
function that does a whole run of one side on fresh filesystems and returns one
``Sample`` per operation, and hands both to ``Bench.measure``. The bench runs one warm-up
and then ``--runs`` runs, the sides taking turns within each run so a change in the
machine's load hits all of them alike, and keeps the medians.

Every sample carries more than wall time: the CPU seconds and peak memory of the command
(from ``wait4``, so a pipeline's children count, and the peak is that of its largest
process), and the CPU the *other* processes of the machine used meanwhile (from
``/proc/stat``), because the machine is shared.

The record (``--json OUT``) holds the date, the machine, every tool's version and one row
per (operation, side); ``render.py`` turns the committed records into docs/benchmarks.md.
Ratios follow the issue's convention: reference time / ours, so above 1 means ours is faster.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout

from workbench import proc
from workbench.errors import Interrupted, OperationFailed
from workbench.units import format_bytes, parse_size

PYTHON = sys.executable
MiB = 1 << 20
#: Record format: bump when a field changes meaning; render.py reads this version.
RECORD_VERSION = 1
RECORDS = Path(__file__).resolve().parent / "records"


# ----- one measured command ---------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One command's cost: wall and CPU seconds, peak memory, and what the rest of the machine did."""

    wall_s: float
    cpu_s: float  # user + system of the command and every child it waited for
    peak_rss_bytes: int  # the largest process's peak resident set
    others_cpus: float  # CPUs kept busy outside the command meanwhile (other processes, kernel threads)
    returned_mib: float = 0.0  # free memory the guest handed back to the host meanwhile (see REPORTED_KIB)


#: How much free memory this guest has handed back to its host since boot (virtio-balloon free page
#: reporting, on this machine: 515 GiB in 6.5 hours of uptime). A page handed back is faulted in
#: from the host when next used, as system time of whoever touches it. Whether that is what makes
#: some runs here several times slower than others (the same full clone took 0.28 s and 2.79 s in
#: one record) is not settled, so each command's record notes how much was handed back meanwhile.
REPORTED_KIB = Path("/sys/module/page_reporting/parameters/reported_kib")


def _reported_kib() -> int:
    """KiB of free memory reported to the host since boot; 0 where the kernel reports none."""
    try:
        return int(REPORTED_KIB.read_text())
    except (OSError, ValueError):
        return 0


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine spent busy since boot (all CPUs; idle and iowait excluded)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def run_measured(argv: Sequence[str | os.PathLike[str]], *, env: Mapping[str, str] | None = None,
                 cwd: Path | None = None) -> Sample:
    """Run one command to the end (stdout to /dev/null, stderr kept for the message) and measure it.

    Not through ``proc.run``: it needs ``wait4``'s resource usage of this very child, which
    ``subprocess`` does not give. The peak memory comes from GNU ``time``, which the command
    runs under: a child forked from this Python would count the benchmark's own pages as its peak.
    """
    args = [os.fspath(a) for a in argv]
    full_env = {**os.environ, **(env or {})}
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as peak:
        args = ["/usr/bin/time", "-f", "%M", "-o", peak.name, *args]
        returned_before, busy_before, started = _reported_kib(), _busy_cpu_s(), time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the benchmark
            try:
                if cwd is not None:
                    os.chdir(cwd)
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
                os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
                os.dup2(err.fileno(), 2)
                os.execvpe(args[0], args, full_env)
            finally:
                os._exit(127)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - started
        busy = _busy_cpu_s() - busy_before
        returned_kib = _reported_kib() - returned_before
        code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        peak_kib = int(peak.read().split()[-1]) if code == 0 else 0
    if code != 0:
        last = (stderr.strip().splitlines() or ["(no message)"])[-1]
        raise OperationFailed(f"{shlex.join(args[5:])[:200]} exited {code}: {last}")
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(wall, cpu, peak_kib * 1024, max(0.0, busy - cpu) / wall if wall else 0.0, max(0, returned_kib) / 1024)


def shell(command: str) -> list[str]:
    """A pipeline as one measured command (pipefail: a failing stage fails it)."""
    return ["bash", "-c", f"set -o pipefail; {command}"]


#: What a read limit does, for its side's description.
READ_ALL = "every file's bytes read to /dev/null, one cat per core"


def read_all(*trees: Path) -> list[str]:
    """Every regular file's bytes under ``trees`` read to /dev/null, one ``cat`` per core: what the
    machine reads at most. One ``cat`` alone is not that: ``find | xargs -P2 b3sum`` hashed the laptop
    tree in 0.39 s, where one ``cat`` took 0.56 s to read it (the manifest record of 2026-12-03)."""
    found = " ".join(map(str, trees))
    return shell(f"find {found} -type f -print0 | xargs -0 -P{os.cpu_count() or 1} -n 256 cat > /dev/null")


def drop_caches() -> None:
    """Write back and drop the page cache, so the next run reads from the disk (cold)."""
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


# ----- sides, runs and medians ---------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One contender of a benchmark: ours, a reference tool, or a limit of the machine."""

    name: str  # as the table prints it: "ours", "restic", "rsync -aHAX --delete", "cat (read limit)"
    role: str  # "ours" | "reference" | "limit"
    does: str  # what it does, so a reader can judge fairness (encrypts, compresses, keeps xattrs)
    tool: str | None = None  # the executable whose version the record names


@dataclass(frozen=True)
class Goal:
    """An operation's target from the issue: reference time / ours at least ``ratio`` against ``reference``."""

    op: str
    reference: str  # a Side name
    ratio: float


Once = Callable[[Side, int], Mapping[str, Sample]]


def _median_sample(samples: list[Sample]) -> dict[str, object]:
    return {
        "wall_s": round(statistics.median(s.wall_s for s in samples), 3),
        "cpu_s": round(statistics.median(s.cpu_s for s in samples), 3),
        "peak_rss_mib": round(max(s.peak_rss_bytes for s in samples) / MiB, 1),
        "others_cpus": round(statistics.median(s.others_cpus for s in samples), 2),
        "runs_s": [round(s.wall_s, 3) for s in samples],
        "returned_to_host_mib": [round(s.returned_mib, 1) for s in samples],  # run by run, as runs_s
    }


@dataclass
class Bench:
    """One benchmark run: its options, its work folder (the workspace) and the rows it measured."""

    name: str
    size_label: str
    size_bytes: int
    runs: int
    work: Path
    json_out: Path | None
    dataset: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sides: dict[str, Side] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    rows: list[dict[str, object]] = field(default_factory=list)
    serial: int = 0

    def measure(self, sides: Sequence[Side], once: Once, *, ops: Sequence[str] | None = None) -> None:
        """Warm-up plus ``runs`` runs of every side, interleaved; one row per (op, side) of medians."""
        samples: dict[tuple[str, str], list[Sample]] = {}
        for run in range(self.runs + 1):
            for side in sides:
                print(f"  {self.name}: run {run or 'warm-up'} of {side.name}", file=sys.stderr, flush=True)
                for op, sample in once(side, run).items():
                    if run:  # run 0 is the warm-up
                        samples.setdefault((op, side.name), []).append(sample)
        for side in sides:
            self.sides[side.name] = side
        for op in ops or dict.fromkeys(op for op, _ in samples):
            for side in sides:
                if (op, side.name) in samples:
                    self.rows.append({"op": op, "side": side.name, **_median_sample(samples[(op, side.name)])})

    def derive_row(self, op: str, side: str, *, as_op: str, as_side: Side) -> None:
        """Show a measured row again under another op and side (our full clone as the refresh's reference)."""
        row = next(r for r in self.rows if r["op"] == op and r["side"] == side)
        self.sides[as_side.name] = as_side
        at = max(i for i, r in enumerate(self.rows) if r["op"] == as_op) + 1
        self.rows.insert(at, {**row, "op": as_op, "side": as_side.name})

    @contextmanager
    def fresh_filesystem(self, size: int) -> Iterator[Path]:
        """A new ext4 on a new loop disk, made before any clock starts, removed afterwards."""
        from workbench.disk.create import create_disk
        from workbench.disk.mounting import mounted

        self.serial += 1
        size = max(64 * MiB, size // MiB * MiB)  # whole MiB, as disk layouts want
        image = create_disk(self.work / f"run{self.serial}.img", "data", size)
        try:
            with mounted(image, "data") as point:
                yield point
        finally:
            image.unlink(missing_ok=True)

    # ----- results

    def ratios(self) -> list[dict[str, object]]:
        """reference / ours for every reference row, ours / limit for every limit row."""
        return ratios(self.rows, self.sides)

    def record(self) -> dict[str, object]:
        tools = sorted({s.tool for s in self.sides.values() if s.tool})
        return {
            "record_version": RECORD_VERSION, "benchmark": self.name, "size": self.size_label,
            "size_bytes": self.size_bytes, "runs": self.runs,
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%MZ"),
            "machine": machine_facts(),
            "ours": proc.text(["git", "-C", ROOT, "describe", "--always", "--dirty"]).strip(),
            "tools": {tool: proc.version(tool) for tool in tools},
            "dataset": self.dataset, "notes": self.notes,
            "sides": [asdict(s) for s in self.sides.values()], "goals": [asdict(g) for g in self.goals],
            "rows": self.rows,
        }

    def finish(self) -> None:
        print_table(self.record())
        if self.json_out:
            self.json_out.parent.mkdir(parents=True, exist_ok=True)
            self.json_out.write_text(json.dumps(self.record(), indent=1) + "\n")
            print(f"record written to {self.json_out}")


def ratios(rows: Sequence[Mapping[str, object]], sides: Mapping[str, Side]) -> list[dict[str, object]]:
    """Per op: each reference's time over ours (above 1: ours faster), and ours over each limit."""
    by_op: dict[str, dict[str, float]] = {}
    for row in rows:
        by_op.setdefault(str(row["op"]), {})[str(row["side"])] = float(row["wall_s"])  # type: ignore[arg-type]
    out = []
    for op, times in by_op.items():
        ours = times.get("ours")
        for name, seconds in times.items():
            if ours is None or name == "ours":
                continue
            role = sides[name].role
            value = seconds / ours if role == "reference" else ours / seconds
            out.append({"op": op, "side": name, "role": role, "value": round(value, 2)})
    return out


def machine_facts() -> dict[str, object]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                 platform.processor())
    memory = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    debian = Path("/etc/debian_version")
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory": format_bytes(memory),
            "kernel": platform.release(), "debian": debian.read_text().strip() if debian.exists() else None,
            "python": platform.python_version(), "load_average": [round(v, 2) for v in os.getloadavg()],
            "free_page_reporting": REPORTED_KIB.exists()}


def print_table(record: Mapping[str, object]) -> None:
    sides = {s["name"]: Side(**s) for s in record["sides"]}  # type: ignore[attr-defined]
    rows: list[dict[str, object]] = record["rows"]  # type: ignore[assignment]
    ratio = {(r["op"], r["side"]): r["value"] for r in ratios(rows, sides)}
    print(f"\n{record['benchmark']} at {record['size']}: {record['dataset']}")
    print(f"{'op':28} {'side':40} {'s':>8} {'ratio':>6} {'CPU s':>7} {'MiB':>6} {'others':>6}")
    for row in rows:
        value = ratio.get((row["op"], row["side"]))
        print(f"{row['op']:28} {row['side']:40} {row['wall_s']:8.3f} {'' if value is None else value:>6} "
              f"{row['cpu_s']:7.2f} {row['peak_rss_mib']:6.0f} {row['others_cpus']:6.2f}")
    print("ratio: reference time / ours (above 1: ours faster); for a limit, ours / limit (1 is the limit)")


# ----- the command line ----------------------------------------------------------------------


def _stop(signum: int, _frame: object) -> None:
    raise Interrupted(f"stopped by signal {signum}")


@contextmanager
def bench(name: str, doc: str | None, *, moderate: str, full: str) -> Iterator[Bench]:
    """Parse the shared options, make a private workspace (loop disks live there) and yield the bench.

    ``--size`` takes a size, or FULL for the issue's full size; the default is ``moderate``
    (a quarter of it). The record is printed at the end and written to ``--json OUT``.
    """
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default=moderate, help=f"data size (default {moderate}; FULL = {full})")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up (default 3)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the record (JSON) here")
    args = parser.parse_args()
    label = "FULL" if args.size.upper() == "FULL" else args.size
    size = parse_size(full if label == "FULL" else args.size)
    proc.require_root(f"the {name} benchmark (loop disks)")
    compile_ours()
    signal.signal(signal.SIGTERM, _stop)  # so every finally releases its loops and mounts
    work = Path(tempfile.mkdtemp(prefix=f"wb-bench-{name}-", dir="/var/tmp"))
    os.environ["WORKBENCH_HOME"] = str(work)
    the_bench = Bench(name, label, size, args.runs, work, args.json)
    try:
        yield the_bench
        the_bench.finish()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def compile_ours() -> None:
    """Write our package's bytecode, as installing it does.

    With PYTHONDONTWRITEBYTECODE set (as in some shells and CI) and no ``__pycache__``
    in the checkout, every run of our CLI would compile each module it imports
    first: 0.25 s of a clone's start-up on this machine, which no installed copy pays.
    """
    compileall.compile_dir(ROOT / "workbench", quiet=1)


def ours_cli(*args: object) -> list[str]:
    """Our engine as a user runs it: the CLI, start-up included."""
    return [PYTHON, "-m", "workbench", *map(str, args)]


#: The environment our CLI needs when run from a checkout.
OURS_ENV = {"PYTHONPATH": str(ROOT)}
