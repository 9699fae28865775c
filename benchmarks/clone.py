"""Clone: ours against ``cp --sparse=always``, and our refresh after 1 % churn against our full clone.

    python benchmarks/clone.py                          # a 512 MiB disk, 46 % full (a quarter)
    python benchmarks/clone.py --size FULL --json OUT   # a 2 GiB disk, about 1 GiB used

The source is a system disk with the ``laptop`` profile, warm in the page cache; a copy
of it takes the 1 % churn. One run of ours on a fresh loop-mounted ext4: a full clone of
the source (timed), then a refresh of that clone from the churned copy (timed). Ours
records a hash of every block (what ``verify`` checks the clone against); ``cp`` records
none. The refresh's reference is our full clone in the same run: the goal is a refresh in
a quarter of its time. The limit: ``cat`` of the disk file (holes read as zeros).
"""

from __future__ import annotations

from collections.abc import Mapping

from data import churn_disk, make_disk
from harness import OURS_ENV, Goal, Sample, Side, bench, ours_cli, run_measured

OURS = Side("ours", "ours", "sparse copy of the used data, an XXH3-128 hash per 64 KiB block recorded; "
            "refresh: changed blocks only")
CP = Side("cp --sparse=always", "reference", "sparse copy, no hashes", "cp")
FULL = Side("ours, full clone", "reference", "our full clone of the same run (refresh goal: 0.25 of it)")
CAT = Side("cat (read limit)", "limit", "cat of the disk file to /dev/null", "cat")
CLONE, REFRESH = "clone full", "clone refresh (1 %)"


def main() -> int:
    with bench("clone", __doc__, moderate="512M", full="2G") as b:
        source, b.dataset = make_disk(b.size_bytes)
        churned = churn_disk(source, seed=7)
        size = b.size_bytes * 2 + (256 << 20)
        b.goals = [Goal(CLONE, CP.name, 1.0), Goal(REFRESH, FULL.name, 4.0)]

        def once(side: Side, run: int) -> Mapping[str, Sample]:
            with b.fresh_filesystem(size) as point:
                out = point / "clone.img"
                if side is CP:
                    return {CLONE: run_measured(["cp", "--sparse=always", str(source), str(out)])}
                if side is CAT:
                    return {CLONE: run_measured(["cat", str(source)]), REFRESH: run_measured(["cat", str(churned)])}
                full = run_measured(ours_cli("clone", "protect", "--disk", source, "--target", out, "--full"),
                                    env=OURS_ENV)
                refresh = run_measured(ours_cli("clone", "protect", "--disk", churned, "--target", out),
                                       env=OURS_ENV)
                return {CLONE: full, REFRESH: refresh}

        b.measure([OURS, CP, CAT], once, ops=[CLONE, REFRESH])
        b.derive_row(CLONE, "ours", as_op=REFRESH, as_side=FULL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
