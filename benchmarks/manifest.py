"""How fast is the ground-truth manifest? Ours against ``find | xargs -P2 b3sum`` on the same warm tree.

    python benchmarks/manifest.py                       # 1 GiB in 20,000 files, 3 runs, a table
    python benchmarks/manifest.py --size 256M --files 5000
    python benchmarks/manifest.py --json                # one record per tool

The tree (log-uniform file sizes from 1 KiB up, in folders of 100 files) is
written once, then read once untimed so every run hashes from memory: this
measures hashing and walking, not the disk. By default it lives on /dev/shm
(tmpfs), because ``drop_caches`` (which the disk tests run often) cannot evict
tmpfs pages, so "warm" stays warm even on a busy machine. Ours is ``take_manifest``
in-process (walk + lstat + xattrs + BLAKE3 in a thread pool); the reference is
``find ROOT -type f -print0 | xargs -0 -P2 -n 256 b3sum`` (``sha256sum`` when
b3sum is not installed), which hashes only. The table also gives BLAKE3's own
speed on one in-memory buffer, the ceiling for any file-by-file hash. CPU seconds (all threads, and the
reference's child processes) are shown too: on a shared machine they say more
than wall time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import blake3

from workbench import proc
from workbench.truth.manifest import take_manifest
from workbench.units import format_bytes, parse_size
from workbench.workload.content import derive_key, keystream


def make_tree(root: Path, total: int, files: int, seed: int = 1) -> None:
    """``files`` files adding up to ``total`` bytes, sizes log-uniform between 1 KiB and 64x the mean."""
    rng = random.Random(seed)
    mean = total / files
    low, high = math.log(1024), math.log(max(2048, mean * 64))
    raw = [math.exp(rng.uniform(low, high)) for _ in range(files)]
    scale = total / sum(raw)
    sizes = [max(1, int(r * scale)) for r in raw]
    sizes[-1] += total - sum(sizes)
    for index, size in enumerate(sizes):
        folder = root / f"d{index // 100:04d}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{index:06d}.bin").write_bytes(keystream(derive_key(seed, index), size))


def default_dir(total: int) -> str:
    shm = Path("/dev/shm")
    if shm.is_dir() and shutil.disk_usage(shm).free > 2 * total:
        return str(shm)
    return "/var/tmp"


def median_seconds(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (this process's threads plus its children)."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu_before = _cpu()
        began = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - began)
        cpus.append(_cpu() - cpu_before)
    return statistics.median(walls), statistics.median(cpus)


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1G", help="total data (default 1G)")
    parser.add_argument("--files", type=int, default=20_000, help="number of files (default 20000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per tool; the median is reported")
    parser.add_argument("--dir", default=None, help="where to make the tree (default: /dev/shm, else /var/tmp)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    total = parse_size(args.size)
    base = Path(tempfile.mkdtemp(prefix="wb-manifest-bench-", dir=args.dir or default_dir(total)))
    try:
        root = base / "tree"
        root.mkdir()
        began = time.perf_counter()
        make_tree(root, total, args.files)
        made_s = time.perf_counter() - began
        tool = "b3sum" if shutil.which("b3sum") else "sha256sum"
        find = f"find {shlex.quote(str(root))} -type f -print0 | xargs -0 -P2 -n 256 {tool} > /dev/null"
        take_manifest(root)  # warm the page cache (and check it works) before any timing
        ours_s, ours_cpu = median_seconds(lambda: take_manifest(root), args.runs)
        ref_s, ref_cpu = median_seconds(lambda: proc.run(["sh", "-c", find], what=tool), args.runs)
        buffer = keystream(derive_key("buffer"), min(total, 1 << 30))
        mem_s, mem_cpu = median_seconds(lambda: blake3.blake3(buffer, max_threads=blake3.blake3.AUTO).digest(),
                                        args.runs)
        scale = total / len(buffer)
        rows = [
            {"tool": "workbench take_manifest (blake3)", "seconds": ours_s, "cpu_seconds": ours_cpu},
            {"tool": f"find | xargs -P2 {tool}", "seconds": ref_s, "cpu_seconds": ref_cpu},
            {"tool": "blake3 on one in-memory buffer", "seconds": mem_s * scale, "cpu_seconds": mem_cpu * scale},
        ]
        for row in rows:
            row.update(bytes=total, files=args.files, gib_per_s=total / row["seconds"] / (1 << 30),
                       files_per_s=args.files / row["seconds"])  # fmt: skip
        ratio = ref_s / ours_s
        if args.json:
            print(json.dumps({"rows": rows, "reference_over_ours": ratio, "tree_made_s": made_s, "cpus": os.cpu_count(),
                              "dir": str(base.parent), "load_average": os.getloadavg()}))  # fmt: skip
            return 0
        print(f"tree: {format_bytes(total)} in {args.files} files on {base.parent} (made in {made_s:.1f} s), "
              f"{os.cpu_count()} CPUs, median of {args.runs}")  # fmt: skip
        print(f"{'tool':<36} {'seconds':>8} {'CPU s':>7} {'GiB/s':>7} {'files/s':>9}")
        for row in rows:
            print(f"{row['tool']:<36} {row['seconds']:>8.2f} {row['cpu_seconds']:>7.2f} {row['gib_per_s']:>7.2f} "
                  f"{row['files_per_s']:>9.0f}")
        print(f"load average during the run: {os.getloadavg()[0]:.1f}")
        print(f"ratio: reference time / ours = {ratio:.2f} ({'ours faster' if ratio > 1 else 'reference faster'})")
        return 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
