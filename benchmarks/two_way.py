"""Two-way sync: ours against ``unison -batch``, the incremental sync after 1 % churn on one side.

    python benchmarks/two_way.py                          # a quarter of the full size
    python benchmarks/two_way.py --size FULL --json OUT   # 1 GiB in about 20,000 files

One run of one side, the two replicas on two fresh loop disks: an untimed first sync
builds both tools' state (unison's archive lives in a fresh directory per run), then 1 %
churn on the left and the timed incremental sync. unison runs with ``-times`` (mtimes
kept, as ours keeps them); FIFOs and devices are ignored for it, as unison cannot sync
them. The limit: one ``find`` walk that stats every entry of both replicas.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from data import apply_churn, make_tree
from harness import OURS_ENV, Goal, Sample, Side, bench, ours_cli, run_measured, shell

from workbench import proc
from workbench.strategies.backup.repo import footprint

OURS = Side("ours", "ours", "two-way: size+mtime against the last synced state, hard links, xattrs")
UNISON = Side("unison -batch", "reference", "unison -batch -times: size+mtime (and inode) against its archive",
              "unison")
FIND = Side("find (stat limit)", "limit", "find -printf of size and mtime: every entry of both replicas stat'ed",
            "find")
OP = "two-way incremental (1 %)"


def _unison_ignores(tree: Path) -> list[str]:
    """Unison syncs only files, folders and symlinks: it stops on a FIFO or device, so those are left out."""
    special = [p for p in tree.rglob("*") if not (p.is_symlink() or stat.S_ISREG(p.lstat().st_mode)
                                                  or stat.S_ISDIR(p.lstat().st_mode))]
    return [arg for p in special for arg in ("-ignore", f"Path {p.relative_to(tree).as_posix()}")]


def main() -> int:
    with bench("two_way", __doc__, moderate="256M", full="1G") as b:
        dataset = b.work / "dataset"
        b.dataset = make_tree(dataset, b.size_bytes)
        disk_size = 2 * footprint(dataset) + (256 << 20)
        b.goals = [Goal(OP, UNISON.name, 1.5)]
        ignores = _unison_ignores(dataset)

        def once(side: Side, run: int) -> Mapping[str, Sample]:
            with b.fresh_filesystem(disk_size) as left_fs, b.fresh_filesystem(disk_size) as right_fs:
                left, right = left_fs / "left", right_fs / "right"
                proc.run(["cp", "-a", dataset, left])
                if side is FIND:
                    proc.run(["cp", "-a", dataset, right])
                    os.sync()
                    return {OP: run_measured(shell(f"find {left} {right} -printf '%s %T@ %p\\n' > /dev/null"))}
                right.mkdir()
                if side is OURS:
                    command, env = ours_cli("mirror", "protect", "--mode", "two-way", "--source", left,
                                            "--target", right), OURS_ENV
                else:
                    command = ["unison", str(left), str(right), "-batch", "-times", "-ui", "text", "-terse", *ignores]
                    env = {"UNISON": str(left_fs / "unison-state")}
                run_measured(command, env=env)
                apply_churn(left, seed=7 + run)
                os.sync()
                return {OP: run_measured(command, env=env)}

        b.measure([OURS, UNISON, FIND], once)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
