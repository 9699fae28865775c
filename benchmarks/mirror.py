"""Mirror (one-way sync): ours against ``rsync -aHAX --delete``, in four cases, one run.

    python benchmarks/mirror.py                          # a quarter of the full size
    python benchmarks/mirror.py --size FULL --json OUT   # 1 GiB in about 20,000 files

The source lives on one fresh loop disk and the mirror on another, like a mirror to an
external drive. One run of one side: the initial sync into an empty filesystem, the same
again with no change, then after 1 % churn, then after another 1 % churn in checksum mode
(``--checksum`` on both sides: every file's content compared, not size and mtime). Each
case starts with both disks written out (``sync``), so none pays for the writeback of the
one before. rsync runs with ``-aHAX``: hard links, ACLs and xattrs kept, as ours keeps them.
The limits, on the same two disks: reading every byte of the source (and, for the checksum
mode, of both trees), and one ``find`` walk that stats every entry of both trees.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from data import apply_churn, make_tree
from harness import OURS_ENV, READ_ALL, Goal, Sample, Side, bench, ours_cli, read_all, run_measured, shell

from workbench import proc
from workbench.strategies.backup.repo import footprint

OURS = Side("ours", "ours", "sync: size+mtime (or content with --checksum), hard links, xattrs, a record kept")
RSYNC = Side("rsync -aHAX --delete", "reference", "rsync -aHAX --delete (--checksum in checksum mode): "
             "hard links, ACLs, xattrs", "rsync")
CAT = Side("cat (read limit)", "limit", f"{READ_ALL}: the source's (both trees' in checksum mode)", "cat")
FIND = Side("find (stat limit)", "limit", "find -printf of size and mtime: every entry of both trees stat'ed", "find")
SIDES = [OURS, RSYNC, CAT, FIND]
INITIAL, NO_CHANGE, CHURN, CHECKSUM = "sync initial", "sync, no change", "sync after 1 % churn", \
    "sync after churn, checksum mode"
GOALS = [Goal(op, RSYNC.name, 1.0) for op in (INITIAL, NO_CHANGE, CHURN, CHECKSUM)]


def _sync(side: Side, source: Path, mirror: Path, *, checksum: bool = False) -> Sample:
    flag = ["--checksum"] if checksum else []
    if side is OURS:
        return run_measured(ours_cli("mirror", "protect", "--mode", "sync", *flag, "--source", source,
                                     "--target", mirror), env=OURS_ENV)
    return run_measured(["rsync", "-aHAX", "--delete", *flag, f"{source}/", f"{mirror}/"])


def _tool_run(side: Side, source: Path, mirror: Path, run: int) -> dict[str, Sample]:
    measured = {INITIAL: _sync(side, source, mirror)}
    os.sync()  # the initial's writes out first, as before every case: their writeback is no part of the next
    measured[NO_CHANGE] = _sync(side, source, mirror)
    apply_churn(source, seed=7 + run)
    os.sync()
    measured[CHURN] = _sync(side, source, mirror)
    apply_churn(source, seed=1007 + run)
    os.sync()
    measured[CHECKSUM] = _sync(side, source, mirror, checksum=True)
    return measured


def _limit_run(side: Side, source: Path, mirror: Path) -> dict[str, Sample]:
    proc.run(["cp", "-a", f"{source}/.", mirror])
    os.sync()
    if side is CAT:
        return {INITIAL: run_measured(read_all(source)), CHECKSUM: run_measured(read_all(source, mirror))}
    walk = run_measured(shell(f"find {source} {mirror} -printf '%s %T@ %p\\n' > /dev/null"))
    return {NO_CHANGE: walk, CHURN: walk}


def main() -> int:
    with bench("mirror", __doc__, moderate="256M", full="1G") as b:
        dataset = b.work / "dataset"
        b.dataset = make_tree(dataset, b.size_bytes)
        disk_size = 2 * footprint(dataset) + (256 << 20)
        b.goals = GOALS
        b.notes = ["source and mirror on two fresh loop disks per run; churn: 1 % modified, 0.5 % added, 0.5 % deleted",
                   "every case starts with both disks written out (sync), so none pays for the last one's writeback"]

        def once(side: Side, run: int) -> Mapping[str, Sample]:
            with b.fresh_filesystem(disk_size) as src_fs, b.fresh_filesystem(disk_size) as dst_fs:
                source, mirror = src_fs / "source", dst_fs / "mirror"
                proc.run(["cp", "-a", dataset, source])
                mirror.mkdir()
                os.sync()
                return _tool_run(side, source, mirror, run) if side.role != "limit" else \
                    _limit_run(side, source, mirror)

        b.measure(SIDES, once, ops=[INITIAL, NO_CHANGE, CHURN, CHECKSUM])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
