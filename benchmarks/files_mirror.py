"""Mirror pairings for ``benchmarks/files.py``: our sync against rsync, our two-way against Unison.

    python benchmarks/files_mirror.py --size 64M --runs 3     # the mirror group alone
    python benchmarks/files_mirror.py --json

Same method as ``files.py`` (one warm-up, medians of ``--runs``, fresh filesystems).
The source lives on one fresh loop disk and the mirror on another, like a mirror to
an external drive (so neither side can use in-filesystem copy offload).

- sync: ``workbench mirror protect --mode sync`` vs ``rsync -a --delete``: the initial
  sync into an empty filesystem, the same again with no change, then after 1 % churn;
  and after churn in checksum mode vs ``rsync -a --delete --checksum``. Ours also keeps
  hard links and xattrs (rsync would need -HX, which costs it more).
- two-way: ``workbench mirror protect --mode two-way`` vs ``unison -batch -times``
  (mtimes kept, as ours does): an untimed first sync builds both tools' state, then
  1 % churn on one side and the timed incremental sync.
"""

from __future__ import annotations

import os
import stat
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import files
from files import PYTHON, ROOT, Context, apply_churn, copy_tree, fresh_filesystem, timed

NOTES = {
    "rsync": "rsync -a --delete (no -H/-X); ours keeps hard links and xattrs as well",
    "unison": "unison -batch -times, archive in a fresh directory per run; changes on one side; "
              "FIFOs ignored (unison cannot sync them)",
}


def _ours(*args: object) -> list[str]:
    return [PYTHON, "-m", "workbench", "mirror", "protect", *map(str, args)]


_ENV = {"PYTHONPATH": str(ROOT)}


def _disk_size(ctx: Context) -> int:
    used = sum(p.stat().st_size for p in ctx.dataset.rglob("*") if p.is_file())
    return (2 * used + (256 << 20)) // (1 << 20) * (1 << 20)  # whole MiB, as disk layouts want


def _sync_once(ctx: Context, tool: str, run: int, size: int) -> dict[str, float]:
    """Initial sync, no-change sync, 1 % churn sync, churn sync with checksums: one run of one tool."""
    with fresh_filesystem(ctx, size) as src_fs, fresh_filesystem(ctx, size) as dst_fs:
        source, mirror = src_fs / "source", dst_fs / "mirror"
        copy_tree(ctx.dataset, source)
        os.sync()

        def sync(checksum: bool = False) -> float:
            flag = ["--checksum"] if checksum else []
            if tool == "ours":
                return timed(_ours("--mode", "sync", *flag, "--source", source, "--target", mirror), _ENV)
            return timed(["rsync", "-a", "--delete", *flag, f"{source}/", f"{mirror}/"])

        measured = {"sync initial": sync(), "sync no change": sync()}
        apply_churn(source, ctx.churn_seed + run)
        measured["sync after churn"] = sync()
        apply_churn(source, ctx.churn_seed + 1000 + run)
        measured["sync churn checksum"] = sync(checksum=True)
    return measured


def _twoway_once(ctx: Context, tool: str, run: int, size: int) -> dict[str, float]:
    """An untimed first two-way sync builds the state; then 1 % churn on one side and the timed one."""
    with fresh_filesystem(ctx, size) as left_fs, fresh_filesystem(ctx, size) as right_fs:
        left, right = left_fs / "left", right_fs / "right"
        copy_tree(ctx.dataset, left)
        right.mkdir()
        if tool == "ours":
            command = _ours("--mode", "two-way", "--source", left, "--target", right)
            env = _ENV
        else:
            command = ["unison", str(left), str(right), "-batch", "-times", "-ui", "text", "-terse",
                       *_unison_ignores(ctx.dataset)]
            env = {"UNISON": str(left_fs / "unison-state")}
        timed(command, env)
        apply_churn(left, ctx.churn_seed + run)
        os.sync()
        return {"two-way incremental": timed(command, env)}


def _unison_ignores(dataset: Path) -> list[str]:
    """Unison syncs only files, folders and symlinks: it stops on a FIFO or device, so those are left to ours."""
    special = [p for p in dataset.rglob("*")
               if not (p.is_symlink() or stat.S_ISREG(p.lstat().st_mode) or stat.S_ISDIR(p.lstat().st_mode))]
    return [arg for p in special for arg in ("-ignore", f"Path {p.relative_to(dataset).as_posix()}")]


def _interleaved(ctx: Context, once: Callable[[Context, str, int, int], dict[str, float]],
                 tools: tuple[str, str]) -> dict[str, dict[str, list[float]]]:
    """Warm-up plus runs; each run times both tools back to back, so load changes hit both alike."""
    size = _disk_size(ctx)
    times: dict[str, dict[str, list[float]]] = {tool: {} for tool in tools}
    for run in range(ctx.runs + 1):
        for tool in tools:
            measured = once(ctx, tool, run, size)
            if run:
                for op, seconds in measured.items():
                    times[tool].setdefault(op, []).append(seconds)
    return times


def _records(ops: list[str], ours: dict[str, list[float]], theirs: dict[str, list[float]],
             reference: str) -> list[dict]:
    records = []
    for op in ops:
        ours_s, ref_s = statistics.median(ours[op]), statistics.median(theirs[op])
        records.append({"op": op, "ours_s": round(ours_s, 3), "reference": reference, "reference_s": round(ref_s, 3),
                        "ratio": round(ours_s / ref_s, 3), "ours_bytes": None, "reference_bytes": None})
    return records


def sync_vs_rsync(ctx: Context) -> list[dict]:
    files.proc.require_tool("rsync")
    times = _interleaved(ctx, _sync_once, ("ours", "rsync"))
    return _records(list(times["ours"]), times["ours"], times["rsync"], "rsync")


def twoway_vs_unison(ctx: Context) -> list[dict]:
    files.proc.require_tool("unison")
    times = _interleaved(ctx, _twoway_once, ("ours", "unison"))
    return _records(list(times["ours"]), times["ours"], times["unison"], "unison")


PAIRINGS: list[tuple[str, str, Callable[[Context], list[dict]]]] = [
    ("mirror", "sync vs rsync", sync_vs_rsync),
    ("mirror", "two-way vs unison", twoway_vs_unison),
]


if __name__ == "__main__":
    files.PAIRINGS[:] = PAIRINGS
    files.NOTES.clear()
    files.NOTES.update(NOTES)
    sys.exit(files.main(sys.argv[1:] or ["--only", "mirror"]))
