"""Manifest (the ground truth): ours against ``find | xargs -P2 b3sum`` on the same warm tree.

    python benchmarks/manifest.py                          # a quarter of the full size
    python benchmarks/manifest.py --size FULL --json OUT   # 1 GiB in about 20,000 files

The tree lives on a fresh loop-mounted ext4 and is read once untimed, so every run
hashes from the page cache: this measures walking and hashing, not the disk. Ours is
``workbench manifest TREE --out FILE``: per entry its type, size, mode, owner, mtime,
hard-link group and xattrs, and a BLAKE3 hash of every file, written as JSON. The
reference hashes file contents only. The limit: ``cat`` of every file, one per core.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from data import make_tree
from harness import OURS_ENV, READ_ALL, Goal, Sample, Side, bench, ours_cli, read_all, run_measured, shell

from workbench import proc
from workbench.strategies.backup.repo import footprint

OURS = Side("ours", "ours", "walk, lstat, xattrs and BLAKE3 of every file, a JSON manifest written")
B3SUM = Side("find | xargs -P2 b3sum", "reference", "BLAKE3 of every regular file's content, two processes",
             "b3sum")
CAT = Side("cat (read limit)", "limit", READ_ALL, "cat")
OP = "manifest of a tree"


def main() -> int:
    with bench("manifest", __doc__, moderate="256M", full="1G") as b:
        dataset = b.work / "dataset"
        b.dataset = make_tree(dataset, b.size_bytes)
        b.goals = [Goal(OP, B3SUM.name, 1.0)]
        with b.fresh_filesystem(2 * footprint(dataset) + (256 << 20)) as fs:
            tree = fs / "tree"
            proc.run(["cp", "-a", dataset, tree])
            os.sync()
            commands = {
                OURS: ours_cli("manifest", tree, "--out", b.work / "manifest.json", "--force"),
                B3SUM: shell(f"find {tree} -type f -print0 | xargs -0 -P2 -n 256 b3sum > /dev/null"),
                CAT: read_all(tree),
            }
            run_measured(commands[CAT])  # into the page cache before any timing

            def once(side: Side, run: int) -> Mapping[str, Sample]:
                return {OP: run_measured(commands[side], env=OURS_ENV)}

            b.measure([OURS, B3SUM, CAT], once)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
