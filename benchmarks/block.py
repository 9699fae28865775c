"""Block-level benchmarks: our image and clone engines against the reference tools, same disk, one run.

    python benchmarks/block.py                 # laptop profile, 2 GiB disk ~half full; prints a table
    python benchmarks/block.py --size 512M     # smaller and quick
    python benchmarks/block.py --json          # one record per (op, reference tool)

Pairings (ours is timed through the CLI, ``python -m workbench ...``, start-up included):
- image (zstd level 3) vs ``partclone.ext4 -c | zstd -T0 -3`` (root partition only) and
  ``dd | zstd -T0 -3`` (whole disk);
- image restore vs ``zstd -d`` into a sparse raw file and ``zstd -d | partclone.ext4 -r``;
- clone vs ``cp --sparse=always`` and ``dd conv=sparse``;
- clone refresh after 1 % churn vs a full clone (ours), and an incremental image
  after the same churn vs a full image (ours).

Records: ``{op, ours_s, reference, reference_s, ratio, ours_bytes, reference_bytes}`` plus
``ours_cpu_s``/``reference_cpu_s`` (user + system CPU of the commands: on a busy machine
it says more about the work than wall time).

Method: one warm-up, then ``--runs`` runs (default 3), medians reported; the source
disk stays in the page cache (warm). Every timed run writes into a freshly made
filesystem: a new loop-mounted ext4 data disk, made before the clock starts.

The disk is built by the workload generator (``laptop`` profile) with data of about
46 % of the disk (0.92 GiB on 2 GiB). 1 % churn: seeded random files get a piece of
their middle overwritten with random bytes until 1 % of the data bytes changed,
plus a few new small files.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shlex
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from workbench import proc
from workbench.errors import Interrupted
from workbench.units import format_bytes, parse_size

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent
MiB = 1 << 20


@dataclass
class Bench:
    source: Path
    churned: Path
    root_loop: str  # the source's root partition, attached read-only, for partclone
    store: Path  # untimed artefacts the restore runs read (on its own data disk)
    used_bytes: int
    runs: int
    level: int
    serial: int = 0


def sh(command: str) -> None:
    proc.run(["bash", "-c", f"set -o pipefail; {command}"], what=command.split()[0])


def ours(*args: str) -> dict:
    """Run the workbench CLI with --json and return its parsed output."""
    done = proc.run([PYTHON, "-m", "workbench", *args, "--json"], cwd=ROOT, what=f"workbench {args[0]} {args[1]}")
    return json.loads(done.stdout)


def allocated(path: Path) -> int:
    if path.is_dir():
        return sum(p.lstat().st_blocks * 512 for p in path.rglob("*") if p.is_file())
    return path.lstat().st_blocks * 512 if path.exists() else 0


@contextmanager
def fresh_fs(bench: Bench, size: int) -> Iterator[Path]:
    """A new loop-mounted ext4 (a new data disk), removed afterwards."""
    from workbench.disk.create import create_disk
    from workbench.disk.mounting import mounted

    bench.serial += 1
    disk = create_disk(f"runs/out{bench.serial}.img", "data", size)
    try:
        with mounted(disk, "data") as point:
            yield point
    finally:
        disk.unlink(missing_ok=True)


Body = Callable[[Path], tuple[float, int]]


class Result(NamedTuple):
    seconds: float  # median wall time
    bytes: int  # output (or written) bytes of the last run
    cpu_s: float  # median CPU time (user + system) of the commands run


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(bench: Bench, size: int, bodies: dict[str, Body],
            setups: dict[str, Callable[[Path], None]] | None = None) -> dict[str, Result]:
    """Warm-up + runs of every body, interleaved (so load changes hit all sides alike).

    Each body runs in a fresh filesystem. CPU time is measured too: on a busy
    machine it says more about the work done than wall time does.
    """
    times: dict[str, list[float]] = {name: [] for name in bodies}
    cpus: dict[str, list[float]] = {name: [] for name in bodies}
    out_bytes: dict[str, int] = {}
    for run in range(bench.runs + 1):
        for name, body in bodies.items():
            with fresh_fs(bench, size) as point:
                if setups and name in setups:
                    setups[name](point)
                before = _children_cpu()
                seconds, out_bytes[name] = body(point)
                cpu = _children_cpu() - before
            if run:
                times[name].append(seconds)
                cpus[name].append(cpu)
    return {name: Result(statistics.median(times[name]), out_bytes[name], statistics.median(cpus[name]))
            for name in bodies}


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def record(op: str, ours: Result, reference: str, theirs: Result) -> dict:
    return {"op": op, "ours_s": round(ours.seconds, 3), "reference": reference,
            "reference_s": round(theirs.seconds, 3), "ratio": round(ours.seconds / theirs.seconds, 3),
            "ours_bytes": ours.bytes, "reference_bytes": theirs.bytes,
            "ours_cpu_s": round(ours.cpu_s, 3), "reference_cpu_s": round(theirs.cpu_s, 3)}


# ---------------------------------------------------------------- pairings

def bench_image(b: Bench) -> list[dict]:
    size = b.source.stat().st_size + 256 * MiB
    src = shlex.quote(str(b.source))

    def ours_image(point: Path) -> tuple[float, int]:
        target = point / "img"
        return timed(lambda: ours("image", "protect", "--disk", str(b.source), "--target", str(target),
                                  "--full", "--level", str(b.level))), allocated(target)

    def partclone(point: Path) -> tuple[float, int]:
        out = point / "pc.zst"
        return timed(lambda: sh(f"partclone.ext4 -q -c -s {b.root_loop} -o - 2>/dev/null | "
                                f"zstd -T0 -{b.level} -q > {out}")), allocated(out)

    def dd(point: Path) -> tuple[float, int]:
        out = point / "dd.zst"
        return timed(lambda: sh(f"dd if={src} bs=4M status=none | zstd -T0 -{b.level} -q > {out}")), allocated(out)

    m = measure(b, size, {"ours": ours_image, "partclone": partclone, "dd": dd})
    return [record("image", m["ours"], f"partclone.ext4 -c | zstd -T0 -{b.level}", m["partclone"]),
            record("image", m["ours"], f"dd | zstd -T0 -{b.level}", m["dd"])]


def bench_restore(b: Bench) -> list[dict]:
    from workbench.disk.table import read_table

    size = b.source.stat().st_size * 2 + 256 * MiB
    img, pc, dd = b.store / "img", b.store / "pc.zst", b.store / "dd.zst"
    ours("image", "protect", "--disk", str(b.source), "--target", str(img), "--full", "--level", str(b.level))
    sh(f"partclone.ext4 -q -c -s {b.root_loop} -o - 2>/dev/null | zstd -T0 -{b.level} -q > {pc}")
    sh(f"dd if={b.source} bs=4M status=none | zstd -T0 -{b.level} -q > {dd}")

    def ours_restore(point: Path) -> tuple[float, int]:
        out = point / "r.img"
        return timed(lambda: ours("image", "restore", "--target", str(img), "--to", str(out))), allocated(out)

    def zstd_sparse(point: Path) -> tuple[float, int]:
        out = point / "r.img"
        return timed(lambda: sh(f"zstd -d -q --sparse {dd} -o {out}")), allocated(out)

    part_size = read_table(b.source).by_role("root").size_bytes

    def partclone_restore(point: Path) -> tuple[float, int]:
        out = point / "r.img"
        with open(out, "wb") as handle:
            handle.truncate(part_size)  # partclone wants a target of the partition's size
        return timed(lambda: sh(f"zstd -dc {pc} | partclone.ext4 -q -r -O {out} -s - 2>/dev/null")), allocated(out)

    m = measure(b, size, {"ours": ours_restore, "zstd": zstd_sparse, "partclone": partclone_restore})
    return [record("image restore", m["ours"], "zstd -d --sparse (of dd | zstd)", m["zstd"]),
            record("image restore", m["ours"], "zstd -d | partclone.ext4 -r", m["partclone"])]


def bench_clone(b: Bench) -> list[dict]:
    size = b.source.stat().st_size * 2 + 256 * MiB
    src = shlex.quote(str(b.source))

    def ours_clone(point: Path) -> tuple[float, int]:
        out = point / "c.img"
        return timed(lambda: ours("clone", "protect", "--disk", str(b.source), "--target", str(out),
                                  "--full")), allocated(out)

    def cp(point: Path) -> tuple[float, int]:
        out = point / "c.img"
        return timed(lambda: sh(f"cp --sparse=always {src} {out}")), allocated(out)

    def dd(point: Path) -> tuple[float, int]:
        out = point / "c.img"
        return timed(lambda: sh(f"dd if={src} of={out} bs=4M conv=sparse status=none")), allocated(out)

    m = measure(b, size, {"ours": ours_clone, "cp": cp, "dd": dd})
    return [record("clone", m["ours"], "cp --sparse=always", m["cp"]),
            record("clone", m["ours"], "dd conv=sparse", m["dd"])]


def bench_after_churn(b: Bench) -> list[dict]:
    """Clone refresh vs full clone, incremental image vs full image, both after 1 % churn (bytes written)."""
    size = b.source.stat().st_size * 3 + 256 * MiB
    written: dict[str, int] = {}

    def clone_before(point: Path) -> None:
        ours("clone", "protect", "--disk", str(b.source), "--target", str(point / "c.img"))

    def refresh(point: Path) -> tuple[float, int]:
        seconds = timed(lambda: written.update(refresh=ours(
            "clone", "protect", "--disk", str(b.churned), "--target", str(point / "c.img"))["extra"]["bytes_written"]))
        return seconds, written["refresh"]

    def full_clone(point: Path) -> tuple[float, int]:
        seconds = timed(lambda: written.update(full=ours(
            "clone", "protect", "--disk", str(b.churned), "--target", str(point / "f.img"), "--full"
        )["extra"]["bytes_written"]))
        return seconds, written["full"]

    def image_before(point: Path) -> None:
        ours("image", "protect", "--disk", str(b.source), "--target", str(point / "img"), "--level", str(b.level))

    def incremental(point: Path) -> tuple[float, int]:
        out: dict = {}
        seconds = timed(lambda: out.update(ours(
            "image", "protect", "--disk", str(b.churned), "--target", str(point / "img"), "--level", str(b.level))))
        return seconds, out["stored_bytes"]

    def full_image(point: Path) -> tuple[float, int]:
        out: dict = {}
        seconds = timed(lambda: out.update(ours("image", "protect", "--disk", str(b.churned), "--target",
                                                str(point / "img2"), "--full", "--level", str(b.level))))
        return seconds, out["stored_bytes"]

    m = measure(b, size, {"refresh": refresh, "full clone": full_clone, "incremental": incremental,
                          "full image": full_image},
                {"refresh": clone_before, "incremental": image_before})
    return [record("clone refresh (1% churn)", m["refresh"], "full clone (ours)", m["full clone"]),
            record("image incremental (1% churn)", m["incremental"], "full image (ours)", m["full image"])]


PAIRINGS = {"image": bench_image, "restore": bench_restore, "clone": bench_clone, "churn": bench_after_churn}


# ---------------------------------------------------------------- the disk

def build_disk(size: int, fill: float, seed: int) -> tuple[Path, str]:
    """A system disk with the laptop profile at ``fill`` of its size; returns (disk, how it was filled)."""
    from workbench.disk.create import create_disk
    from workbench.disk.mounting import mounted
    from workbench.workload.generate import build
    from workbench.workload.profile import load_profile

    disk = create_disk("src.img", "system", size)
    data_size = int(size * fill)
    with mounted(disk) as root:
        record = build(load_profile("laptop"), root, data_size=data_size, seed=seed)
    return disk, f"laptop profile, {record.files} files, {format_bytes(record.bytes_written)} written"


def make_churned(source: Path, fraction: float, seed: int) -> Path:
    """A copy of the disk with ``fraction`` of its file bytes overwritten in place, plus a few new files."""
    from workbench.disk.create import import_disk
    from workbench.disk.mounting import mounted

    churned, _ = import_disk(source, "churned.img")
    rng = random.Random(seed)
    with mounted(churned) as root:
        files = sorted((p for p in root.rglob("*") if p.is_file() and not p.is_symlink()), key=str)
        budget = int(fraction * sum(p.stat().st_size for p in files))
        rng.shuffle(files)
        for path in files:
            if budget <= 0:
                break
            size = path.stat().st_size
            if size < 8192:
                continue
            piece = min(budget, max(4096, size // 4))
            with open(path, "r+b") as handle:
                handle.seek(size // 2 - piece // 2 if piece < size else 0)
                handle.write(rng.randbytes(min(piece, size)))
            budget -= piece
        for i in range(20):
            (root / f"churn-new-{i}.txt").write_text(f"new file {i}\n" * 100)
    return churned


def used_bytes(disk: Path) -> int:
    from workbench.disk.table import read_table
    from workbench.strategies.image.protect import survey

    fd = os.open(disk, os.O_RDONLY)
    try:
        _, wanted = survey(fd, disk.stat().st_size, read_table(disk))
    finally:
        os.close(fd)
    return sum(n for _, n in wanted)


def print_table(records: list[dict], used: int) -> None:
    print(f"\n{'op':30} {'ours s':>8} {'MiB/s':>7} {'reference':38} {'ref s':>8} {'ratio':>6} "
          f"{'ours bytes':>11} {'ref bytes':>11} {'cpu ours':>8} {'cpu ref':>8}")
    for r in records:
        rate = used / MiB / r["ours_s"] if r["ours_s"] else 0
        print(f"{r['op']:30} {r['ours_s']:8.3f} {rate:7.0f} {r['reference']:38} {r['reference_s']:8.3f} "
              f"{r['ratio']:6.2f} {format_bytes(r['ours_bytes']):>11} {format_bytes(r['reference_bytes']):>11} "
              f"{r['ours_cpu_s']:8.2f} {r['reference_cpu_s']:8.2f}")


def _stop(signum: int, _frame: object) -> None:
    raise Interrupted(f"stopped by signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="2G", help="source disk size (default: 2G)")
    parser.add_argument("--fill", type=float, default=0.46, help="data as a fraction of the disk (default: 0.46)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after the warm-up (default: 3)")
    parser.add_argument("--level", type=int, default=3, help="zstd level on both sides (default: 3)")
    parser.add_argument("--only", choices=sorted(PAIRINGS), action="append", help="run only these pairings")
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", type=Path, help="also write the JSON records to this file")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)  # so every finally releases its loops and mounts
    proc.require_root("the block benchmark (loop disks)")
    home = Path(tempfile.mkdtemp(prefix="wb-block-bench-", dir="/var/tmp"))
    os.environ["WORKBENCH_HOME"] = str(home)
    from workbench.disk.create import create_disk
    from workbench.disk.loop import attached
    from workbench.disk.mounting import mounted
    from workbench.disk.table import read_table

    try:
        size = parse_size(args.size)
        log = sys.stderr if args.json else sys.stdout
        print(f"building a {format_bytes(size)} disk in {home} ...", file=log, flush=True)
        source, how = build_disk(size, args.fill, args.seed)
        churned = make_churned(source, 0.01, args.seed + 1)
        used = used_bytes(source)
        print(f"source: {how}; {format_bytes(used)} used (read by imaging)", file=log, flush=True)
        store_disk = create_disk("store.img", "data", size * 3)
        with ExitStack() as stack:
            root_loop = stack.enter_context(attached(source, read_table(source).by_role("root"), readonly=True))
            store = stack.enter_context(mounted(store_disk, "data"))
            bench = Bench(source, churned, root_loop, store, used, args.runs, args.level)
            records = []
            for name in args.only or list(PAIRINGS):
                print(f"running {name} ...", file=log, flush=True)
                records += PAIRINGS[name](bench)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if args.save:
        args.save.write_text(json.dumps(records, indent=2) + "\n")
    if args.json:
        print(json.dumps(records, indent=2))
    else:
        print_table(records, used)
        print(f"\n{args.runs} runs + 1 warm-up each, medians; MiB/s = used bytes / ours_s; "
              f"disk {format_bytes(size)}, {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
