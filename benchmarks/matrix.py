"""How fast does a matrix run? The same cells sequentially, with --jobs 2 and on a two-worker Dask cluster,
and the same cells at two data sizes.

    python benchmarks/matrix.py                       # 8 cells at 256 MiB x 3 ways, 4 cells at 1 GiB: a table
    python benchmarks/matrix.py --size 64M --big 256M # a quicker look
    python benchmarks/matrix.py --json                # one record per run

Runs as root, in a private workspace (``$WORKBENCH_HOME`` or a fresh folder in
/tmp, removed afterwards). The matrix is the laptop profile's image, backup,
mirror-sync and clone x deletion and ransomware (8 cells) at ``--size``: run
one cell after another, then ``--jobs 2``, then on a ``LocalCluster`` of two
worker processes with one ``loopdev`` each. Then the four strategies x deletion
at ``--big``, set beside the same cells at ``--size`` (from the sequential run),
to show how a cell's cost grows with its data. For each run: cells per hour,
the mean cell, and where a cell's time goes (the mean seconds of each phase:
building the data, the simulated hours of protection, the fault, recovery,
scoring), read from each cell's details (``phases_s``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from workbench.commands.compare import compare
from workbench.experiment.phases.timing import PHASES
from workbench.units import parse_size

STRATEGIES = "image,backup,mirror-sync,clone"
SCENARIOS = "deletion,ransomware"


def run(name: str, out: Path, *, scenarios: str, size: str, **how: Any) -> dict[str, Any]:
    started = time.monotonic()
    result = compare(out=out, profile="laptop", strategies=STRATEGIES, scenarios=scenarios, data_size=size,
                     report=False, quiet=True, **how)
    wall = time.monotonic() - started
    record = summarise(name, out, size, wall, len(result.failed))
    print(json.dumps(record), file=sys.stderr, flush=True)  # kept even if a later run fails
    return record


def summarise(name: str, out: Path, size: str, wall: float, failed: int, labels: set[str] | None = None
              ) -> dict[str, Any]:
    details = [json.loads(path.read_text()) for path in sorted((out / "cells").glob("*.json"))]
    details = [d for d in details if labels is None or d["cell"] in labels]
    cells = len(details)
    phases = {phase: round(statistics.mean(d["phases_s"][phase] for d in details), 2) for phase in PHASES}
    return {"run": name, "size": size, "cells": cells, "failed": failed, "wall_s": round(wall, 1),
            "cells_per_hour": round(cells / wall * 3600, 1) if wall > 0 else None,
            "mean_cell_s": round(statistics.mean(d["cell_s"] for d in details), 2), "phases_s": phases,
            "runners": len({d["runner"]["pid"] for d in details})}


def on_dask(out: Path, *, size: str) -> dict[str, Any]:
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, resources={"loopdev": 1},
                                  dashboard_address=None) as cluster:
        return run("dask LocalCluster, 2 workers", out, scenarios=SCENARIOS, size=size, executor="dask",
                   scheduler=cluster.scheduler_address)


def table(records: list[dict[str, Any]]) -> str:
    head = ["run", "size", "cells", "failed", "wall s", "cells/h", "mean cell s", *[f"{p} s" for p in PHASES]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in records:
        values = [r["run"], r["size"], r["cells"], r["failed"], r["wall_s"], r["cells_per_hour"], r["mean_cell_s"],
                  *[r["phases_s"][p] for p in PHASES]]
        lines.append("| " + " | ".join(str(v) for v in values) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="256M", help="data size of the 8-cell matrix (default: 256M)")
    parser.add_argument("--big", default="1G", help="the larger size of the growth runs (default: 1G)")
    parser.add_argument("--no-dask", action="store_true", help="skip the LocalCluster run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    parse_size(args.size), parse_size(args.big)
    own = "WORKBENCH_HOME" not in os.environ
    home = Path(os.environ.get("WORKBENCH_HOME") or tempfile.mkdtemp(prefix="wb-matrix-"))
    os.environ["WORKBENCH_HOME"] = str(home)
    outs = Path(tempfile.mkdtemp(prefix="bench-", dir=home))
    try:
        records = [run("sequential", outs / "sequential", scenarios=SCENARIOS, size=args.size),
                   run("--jobs 2", outs / "jobs2", scenarios=SCENARIOS, size=args.size, jobs=2)]
        if not args.no_dask:
            records.append(on_dask(outs / "dask", size=args.size))
        deletion = {f"{s}__deletion__r1" for s in STRATEGIES.split(",")}
        small = summarise("4 x deletion (from sequential)", outs / "sequential", args.size, 0.0, 0, deletion)
        small["wall_s"] = round(small["mean_cell_s"] * small["cells"], 1)
        small["cells_per_hour"] = round(3600 / small["mean_cell_s"], 1)
        records += [small, run("4 x deletion", outs / "big", scenarios="deletion", size=args.big)]
        for record in records:
            print(json.dumps(record), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(outs, ignore_errors=True)
        if own:
            shutil.rmtree(home, ignore_errors=True)
    sequential, jobs = records[0], records[1]
    ratios = {"jobs2_over_sequential_throughput": round(jobs["cells_per_hour"] / sequential["cells_per_hour"], 2),
              "big_over_small_cell": round(records[-1]["mean_cell_s"] / records[-2]["mean_cell_s"], 2)}
    if not args.no_dask:
        ratios["dask_over_sequential_throughput"] = round(records[2]["cells_per_hour"] / sequential["cells_per_hour"],
                                                          2)
    if args.json:
        print(json.dumps({"records": records, "ratios": ratios, "cpus": os.cpu_count()}, indent=1))
    else:
        print(table(records))
        print("\n" + ", ".join(f"{k}: {v}" for k, v in ratios.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
