"""Backup: ours against restic and borg, with the machine's limits measured in the same run.

    python benchmarks/backup.py                          # a quarter of the full size
    python benchmarks/backup.py --size FULL --json OUT   # 1 GiB in about 20,000 files

One run of one side, on a freshly made loop-mounted ext4 holding a copy of the tree:
a full backup (warm cache), a full restore, a second full backup into a new repository
with the page cache dropped first (cold), then 1 % churn and an incremental backup.
The limits are read from the same kind of fresh filesystem: every file's bytes read
(``cat``), the tree packed and compressed (``tar | zstd -T0 -3``), and the same into a
file on that disk, fsynced (what a backup must also do: write its output durably),
warm and cold.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from data import apply_churn, make_tree
from harness import OURS_ENV, READ_ALL, Goal, Sample, Side, bench, drop_caches, ours_cli, read_all, run_measured, shell

from workbench import proc
from workbench.strategies.backup.repo import footprint

OURS = Side("ours", "ours", "content-defined chunks, BLAKE3 ids, zstd 3 per chunk, no encryption", "python3")
RESTIC = Side("restic", "reference", "content-defined chunks, compression auto (zstd), AES-256 always on", "restic")
BORG = Side("borg", "reference", "borg create -e none --compression zstd,3: chunks, zstd 3, no encryption", "borg")
CAT = Side("cat (read limit)", "limit", READ_ALL, "cat")
TAR_ZSTD = Side("tar | zstd -T0 -3 (limit)", "limit", "tar -c of the tree | zstd -T0 -3 > /dev/null", "tar")
#: What a backup does that the pipe into /dev/null does not: write its output into the disk, durably.
TAR_ZSTD_FILE = Side("tar | zstd -T0 -3 > file, fsynced (limit)", "limit",
                     "the same pipe into a file on the tree's disk, then fsync: read, compressed and written "
                     "durably, as a repository is", "tar")
SIDES = [OURS, RESTIC, BORG, CAT, TAR_ZSTD, TAR_ZSTD_FILE]
OPS = ["backup full", "backup full, cold cache", "backup incremental (1 %)", "restore full"]
GOALS = [Goal("backup full", "restic", 1.5), Goal("backup full", "borg", 1.5),
         Goal("backup full", TAR_ZSTD.name, 1.6),
         Goal("backup incremental (1 %)", "restic", 2.0), Goal("backup incremental (1 %)", "borg", 2.0),
         Goal("restore full", "restic", 1.5), Goal("restore full", "borg", 1.5)]


Command = tuple[list[str], dict[str, str], Path | None]  # argv, environment, working folder


def _commands(side: Side, source: Path, repo: Path, fs: Path) -> dict[str, Command]:
    """How each tool does a backup and a restore (the repository created untimed beforehand)."""
    if side is OURS:
        return {"backup": (ours_cli("backup", "protect", "--source", source, "--target", repo, "--mode", "full"),
                           OURS_ENV, None),
                "incremental": (ours_cli("backup", "protect", "--source", source, "--target", repo,
                                         "--mode", "incremental"), OURS_ENV, None),
                "restore": (ours_cli("backup", "restore", "--target", repo, "--to", fs / "restored"), OURS_ENV, None)}
    if side is RESTIC:
        env = {"RESTIC_PASSWORD": "benchmark", "RESTIC_CACHE_DIR": str(fs / "cache"), "RESTIC_PROGRESS_FPS": "0"}
        proc.run(["restic", "init", "-q", "-r", repo], env=env)
        backup = ["restic", "backup", "-q", "-r", str(repo), str(source)]
        return {"backup": (backup, env, None), "incremental": (backup, env, None),
                "restore": (["restic", "restore", "-q", "-r", str(repo), "latest", "--target", str(fs / "restored")],
                            env, None)}
    env = {"BORG_BASE_DIR": str(fs / "borg-home"), "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"}
    proc.run(["borg", "init", "-e", "none", repo], env=env)
    create = ["borg", "create", "--compression", "zstd,3"]
    return {"backup": ([*create, f"{repo}::full", "."], env, source),
            "incremental": ([*create, f"{repo}::incremental", "."], env, source),
            "restore": (["borg", "extract", f"{repo}::full"], env, fs / "restored")}


def _tool_run(side: Side, source: Path, fs: Path, run: int) -> dict[str, Sample]:
    (fs / "restored").mkdir()
    first = _commands(side, source, fs / "repo", fs)
    os.sync()
    measured = {"backup full": run_measured(first["backup"][0], env=first["backup"][1], cwd=first["backup"][2])}
    args, env, cwd = first["restore"]
    measured["restore full"] = run_measured(args, env=env, cwd=cwd)
    cold = _commands(side, source, fs / "repo-cold", fs)
    drop_caches()
    args, env, cwd = cold["backup"]
    measured["backup full, cold cache"] = run_measured(args, env=env, cwd=cwd)
    apply_churn(source, seed=7 + run)
    os.sync()
    args, env, cwd = first["incremental"]
    measured["backup incremental (1 %)"] = run_measured(args, env=env, cwd=cwd)
    return measured


def _limit_run(side: Side, source: Path) -> dict[str, Sample]:
    output = source.parent / "limit.tar.zst"
    if side is CAT:
        command = read_all(source)
    elif side is TAR_ZSTD:  # tar would skip reading when it writes straight to /dev/null, so it goes through zstd
        command = shell(f"tar -cf - -C {source} . | zstd -T0 -3 -q -c > /dev/null")
    else:
        command = shell(f"tar -cf - -C {source} . | zstd -T0 -3 -q -c > {output} && sync {output}")
    warm = run_measured(command)
    output.unlink(missing_ok=True)
    drop_caches()
    return {"backup full": warm, "backup full, cold cache": run_measured(command)}


def main() -> int:
    with bench("backup", __doc__, moderate="256M", full="1G") as b:
        dataset = b.work / "dataset"
        b.dataset = make_tree(dataset, b.size_bytes)
        disk_size = 4 * footprint(dataset) + (512 << 20)
        b.goals = GOALS
        b.notes = ["ours, restic and borg each run full, restore, cold full, churn, incremental on a fresh disk",
                   "churn: 1 % of the files modified, 0.5 % added, 0.5 % deleted"]

        def once(side: Side, run: int) -> Mapping[str, Sample]:
            with b.fresh_filesystem(disk_size) as fs:
                source = fs / "source"
                proc.run(["cp", "-a", dataset, source])
                os.sync()
                return _tool_run(side, source, fs, run) if side.role != "limit" else _limit_run(side, source)

        b.measure(SIDES, once, ops=OPS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
