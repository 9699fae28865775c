"""A dataset is the same in every interpreter: nothing may follow Python's per-process string hash order."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: Builds classroom, churns day 1, and prints the pure plans (in their own order) and the tree's digest.
SCRIPT = """
import blake3, json, sys
from dataclasses import asdict
from pathlib import Path
from workbench.truth.manifest import take_manifest
from workbench.workload.churn import churn, plan_day
from workbench.workload.generate import DEFAULT_START, build
from workbench.workload.plan import plan_build
from workbench.workload.profile import load_profile

profile, root, size = load_profile("classroom"), Path(sys.argv[1]), 6 << 20
plan = plan_build(profile, size, 3, DEFAULT_START)
day = plan_day(profile, data_size=size, seed=3, start=DEFAULT_START, day=1)
pure = json.dumps([[asdict(d) for d in plan.dirs.values()], [asdict(f) for f in plan.files],
                   [(o.index, o.op.op, o.where, o.at_ns) for o in day]], default=bytes.hex)
root.mkdir()
build(profile, root, data_size=size, seed=3)
churn(profile, root, day=1)
print(blake3.blake3(pure.encode()).hexdigest(), take_manifest(root).digest())
"""


def _fingerprint(tmp_path: Path, hash_seed: str) -> tuple[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / f"tree-{hash_seed}")], env=env,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    plan_digest, tree_digest = out.split()
    return plan_digest, tree_digest


def test_plan_build_and_churn_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    first_plan, first_tree = _fingerprint(tmp_path, "1")
    second_plan, second_tree = _fingerprint(tmp_path, "2")
    assert first_plan == second_plan, "the build or churn plan follows set/hash order"
    assert first_tree == second_tree, "the built and churned tree differs between interpreters"
