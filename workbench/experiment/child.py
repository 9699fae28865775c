"""One protect run in a child process, so a crash can be a real SIGKILL.

``python -m workbench.experiment.child JSON`` where JSON names the strategy,
its target and scratch, the source (an image, or a mounted folder the parent
holds), the simulated time and the schedule rule firing.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from .registry import make_protection


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    protection = make_protection(spec["strategy"], target=Path(spec["target"]), scratch=Path(spec["scratch"]),
                                 schedules=spec.get("schedules"))
    options = protection.options.get(spec["event"], {})
    protection.strategy.protect(Path(spec["source"]), protection.target, now=datetime.fromisoformat(spec["now"]),
                                **options)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
