"""File-level benchmarks: our engines against the reference tools, on the same dataset, in one run.

    python benchmarks/files.py                 # ~1 GiB, ~20k files; prints a table
    python benchmarks/files.py --size 64M      # small and quick
    python benchmarks/files.py --json          # one record per op and reference tool
    python benchmarks/files.py --only backup   # one group of pairings

Method: every op runs once as warm-up, then ``--runs`` times (default 3); medians are
reported. Within each run the tools take turns, so load changes hit all of them alike. Each
run writes into a freshly made filesystem (a new loop-mounted ext4 data disk, when root) so
no run lands right after a large delete. Our side is timed through the CLI as users run it
(``python -m workbench ...``), so start-up is included.

The dataset is ``--dataset DIR`` (any tree in the workspace) or, by default, the
workload generator's ``laptop`` profile at ``--size`` (1 GiB gives about 20,000 files):
an OS part and a home, with office documents, pictures, source trees, a SQLite
database, hard links, a sparse file, a FIFO, setuid binaries and xattrs. Churn is
1 %: 1 file in 100 (plus one) is modified in place (a few KiB overwritten in the
middle), 1 in 200 (plus one) added and 1 in 200 deleted: 201/101/100 on 20k files,
as in the issue.

Pairings live in ``PAIRINGS``: one function per (our engine, reference tool), each
returning records ``{op, ours_s, reference, reference_s, ratio, ours_bytes, reference_bytes}``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from workbench import proc, workspace
from workbench.strategies.backup.repo import footprint
from workbench.units import format_bytes, parse_size

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent
#: What each side does about compression and encryption, printed under the table.
NOTES = {
    "ours": "zstd level 3 per chunk (raw when incompressible), no encryption",
    "restic": "restic default: compression auto (zstd), AES-256 encryption always on",
    "borg": "borg -e none (no encryption), --compression zstd,3",
}


@dataclass
class Context:
    dataset: Path
    work: Path
    runs: int
    churn_seed: int = 7
    cache: dict[str, dict] = field(default_factory=dict)  # measurements shared between pairings


# ----- dataset and churn -----------------------------------------------------------------


def make_dataset(root: Path, size: int, profile: str = "laptop", seed: int = 1) -> None:
    """The workload profile's tree at ``size`` bytes of data, deterministic for the seed."""
    from workbench.workload.generate import build
    from workbench.workload.profile import load_profile

    root.mkdir(parents=True)
    build(load_profile(profile), root, data_size=size, seed=seed)


def apply_churn(root: Path, seed: int) -> dict[str, int]:
    """Modify 1/100 (+1), add 1/200 (+1), delete 1/200 of the regular files, deterministically."""
    rng = random.Random(seed)
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    count = len(files)
    picks = rng.sample(files, min(count, count // 100 + 1 + count // 200))
    modify, delete = picks[: count // 100 + 1], picks[count // 100 + 1 :]
    for path in modify:
        size = path.stat().st_size
        with open(path, "r+b") as handle:
            handle.seek(size // 2)
            handle.write(rng.randbytes(min(4096, max(1, size // 4))))
    for path in delete:
        path.unlink()
    added = count // 200 + 1
    for n in range(added):
        target = root / "user0" / "new" / f"added{n:05d}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(rng.randbytes(rng.randint(1000, 100_000)))
    return {"modified": len(modify), "added": added, "deleted": len(delete)}


# ----- fresh filesystems and timing ----------------------------------------------------------


@contextmanager
def fresh_filesystem(ctx: Context, size: int) -> Iterator[Path]:
    """A new ext4 on a new loop disk when root, else a new directory."""
    if os.geteuid() != 0:
        path = Path(tempfile.mkdtemp(dir=ctx.work))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)
        return
    from workbench.disk.create import create_disk
    from workbench.disk.mounting import mounted

    image = create_disk(ctx.work / f"run-{time.monotonic_ns()}.img", "data", size)
    try:
        with mounted(image, "data") as point:
            yield point
    finally:
        image.unlink(missing_ok=True)


def timed(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    started = time.perf_counter()
    proc.run(args, env=env, cwd=cwd)
    return time.perf_counter() - started


def copy_tree(source: Path, destination: Path) -> None:
    proc.run(["cp", "-a", source, destination])


# ----- one pipeline per tool: full backup, restore, churn, incremental --------------------------


@dataclass
class Tool:
    name: str
    full: Callable[[Path, Path], list[str]]
    incremental: Callable[[Path, Path], list[str]]
    restore: Callable[[Path, Path], tuple[list[str], Path | None]]
    env: Callable[[Path], dict[str, str]]  # given the run's filesystem (caches live there)


def _ours() -> Tool:
    def cmd(*args: object) -> list[str]:
        return [PYTHON, "-m", "workbench", "backup", *map(str, args)]

    return Tool(
        "ours",
        full=lambda src, repo: cmd("protect", "--source", src, "--target", repo, "--mode", "full"),
        incremental=lambda src, repo: cmd("protect", "--source", src, "--target", repo, "--mode", "incremental"),
        restore=lambda repo, dest: (cmd("restore", "--target", repo, "--to", dest), None),
        env=lambda fs: {"PYTHONPATH": str(ROOT)},
    )


def _restic_env(fs: Path) -> dict[str, str]:
    return {"RESTIC_PASSWORD": "benchmark", "RESTIC_CACHE_DIR": str(fs / "cache"), "RESTIC_PROGRESS_FPS": "0"}


def _borg_env(fs: Path) -> dict[str, str]:
    return {"BORG_BASE_DIR": str(fs / "borg-home"), "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"}


def _restic() -> Tool:
    return Tool(
        "restic",
        full=lambda src, repo: ["restic", "backup", "-q", "-r", str(repo), str(src)],
        incremental=lambda src, repo: ["restic", "backup", "-q", "-r", str(repo), str(src)],
        restore=lambda repo, dest: (["restic", "restore", "-q", "-r", str(repo), "latest", "--target", str(dest)],
                                    None),
        env=_restic_env,
    )


def _borg() -> Tool:
    return Tool(
        "borg",
        full=lambda src, repo: ["borg", "create", "--compression", "zstd,3", f"{repo}::full", "."],
        incremental=lambda src, repo: ["borg", "create", "--compression", "zstd,3", f"{repo}::incremental", "."],
        restore=lambda repo, dest: (["borg", "extract", f"{repo}::full"], dest),
        env=_borg_env,
    )


def _init(name: str, repo: Path, env: dict[str, str]) -> None:
    """Create the reference tool's repository (not timed); ours creates it on first protect."""
    if name == "restic":
        proc.run(["restic", "init", "-q", "-r", repo], env=env)
    elif name == "borg":
        proc.run(["borg", "init", "-e", "none", repo], env=env)


def _pipeline(ctx: Context, tool: Tool, run: int) -> dict[str, float]:
    """One run on a fresh filesystem: full backup, full restore, 1 % churn, incremental."""
    disk_size = 4 * footprint(ctx.dataset) + (512 << 20)
    with fresh_filesystem(ctx, disk_size) as fs:
        source, repo, dest = fs / "source", fs / "repo", fs / "restored"
        copy_tree(ctx.dataset, source)
        dest.mkdir()
        env = tool.env(fs)
        _init(tool.name, repo, env)
        os.sync()
        cwd = source if tool.name == "borg" else None
        full = timed(tool.full(source, repo), env, cwd)
        repo_bytes = footprint(repo)
        args, restore_cwd = tool.restore(repo, dest)
        restore = timed(args, env, restore_cwd)
        apply_churn(source, ctx.churn_seed + run)
        os.sync()
        incremental = timed(tool.incremental(source, repo), env, cwd)
    return {"backup full": full, "restore full": restore, "backup incremental": incremental, "repo_bytes": repo_bytes}


def measure_backup_tools(ctx: Context) -> dict[str, dict[str, float]]:
    """Medians per tool and op. The tools take turns within each run, so a change in the
    machine's load during the benchmark hits all of them alike instead of one."""
    if "backup" not in ctx.cache:
        tools = [_ours(), _restic(), _borg()]
        samples: dict[str, list[dict[str, float]]] = {tool.name: [] for tool in tools}
        for run in range(ctx.runs + 1):
            for tool in tools:
                result = _pipeline(ctx, tool, run)
                if run:  # run 0 is the warm-up
                    samples[tool.name].append(result)
        ctx.cache["backup"] = {
            name: {key: statistics.median(r[key] for r in results) for key in results[0]}
            for name, results in samples.items()
        }
    return ctx.cache["backup"]


def _backup_vs(reference: str) -> Callable[[Context], list[dict]]:
    def pairing(ctx: Context) -> list[dict]:
        measured = measure_backup_tools(ctx)
        ours, theirs = measured["ours"], measured[reference]
        records = []
        for op in ("backup full", "backup incremental", "restore full"):
            ours_s, ref_s = ours[op], theirs[op]
            is_full = op == "backup full"
            records.append({
                "op": op, "ours_s": round(ours_s, 3), "reference": reference, "reference_s": round(ref_s, 3),
                "ratio": round(ours_s / ref_s, 3),
                "ours_bytes": int(ours["repo_bytes"]) if is_full else None,
                "reference_bytes": int(theirs["repo_bytes"]) if is_full else None,
            })
        return records

    return pairing


def backup_vs_restic(ctx: Context) -> list[dict]:
    return _backup_vs("restic")(ctx)


def backup_vs_borg(ctx: Context) -> list[dict]:
    return _backup_vs("borg")(ctx)


#: (group, name, function). The mirror part adds its pairings here.
PAIRINGS: list[tuple[str, str, Callable[[Context], list[dict]]]] = [
    ("backup", "backup vs restic", backup_vs_restic),
    ("backup", "backup vs borg", backup_vs_borg),
]


# ----- output ---------------------------------------------------------------------------


def print_table(records: list[dict], dataset_bytes: int, files: int) -> None:
    print(f"dataset: {files} files, {format_bytes(dataset_bytes)} (medians of runs after one warm-up)")
    print(f"{'op':22} {'ours s':>8} {'reference':>10} {'ref s':>8} {'ours/ref':>9} {'MiB/s ours':>11} "
          f"{'ours repo':>10} {'ref repo':>10}")
    for r in records:
        mibs = dataset_bytes / (1 << 20) / r["ours_s"] if r["ours_s"] else 0
        repo = format_bytes(r["ours_bytes"]) if r["ours_bytes"] else ""
        ref_repo = format_bytes(r["reference_bytes"]) if r["reference_bytes"] else ""
        print(f"{r['op']:22} {r['ours_s']:8.2f} {r['reference']:>10} {r['reference_s']:8.2f} {r['ratio']:9.2f} "
              f"{mibs:11.0f} {repo:>10} {ref_repo:>10}")
    for name, note in NOTES.items():
        print(f"  {name}: {note}")


def all_pairings() -> list[tuple[str, str, Callable[[Context], list[dict]]]]:
    """Backup pairings and the mirror ones (``files_mirror.py``), so one run measures both on one dataset."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import files_mirror  # it imports this module's helpers; its pairings take the same Context

    NOTES.update(files_mirror.NOTES)
    return PAIRINGS + files_mirror.PAIRINGS


def main(argv: list[str] | None = None) -> int:
    pairings = all_pairings() if __name__ == "__main__" else PAIRINGS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1G", help="data in the generated dataset (default 1G: ~20k files)")
    parser.add_argument("--profile", default="laptop", help="workload profile to generate (default laptop)")
    parser.add_argument("--dataset", help="use this tree (in the workspace) instead of generating one")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=sorted({g for g, _, _ in pairings}), help="run one group")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    for tool in ("restic", "borg", "cp"):
        proc.require_tool(tool)
    work = Path(tempfile.mkdtemp(prefix="bench-files-", dir=workspace.home()))
    try:
        if args.dataset:
            dataset = workspace.resolve(args.dataset, must_exist=True)
        else:
            dataset = work / "dataset"
            make_dataset(dataset, parse_size(args.size), args.profile)
        ctx = Context(dataset=dataset, work=work, runs=args.runs)
        records = []
        for group, _name, pairing in pairings:
            if args.only in (None, group):
                records.extend(pairing(ctx))
        regular = [p.lstat() for p in dataset.rglob("*") if p.is_file() and not p.is_symlink()]
        files, size = len(regular), sum(st.st_size for st in regular)
        if args.json:
            print(json.dumps(records, indent=1))
        else:
            print_table(records, size, files)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
