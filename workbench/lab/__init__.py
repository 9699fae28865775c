"""One import for notebooks and scripts: ``from workbench import lab``.

A disk, protected, broken and brought back, judged file by file (as root: it makes
loop devices)::

    from datetime import datetime, timezone
    from workbench import lab

    home = lab.use_workspace("/tmp/my-lab", fresh="demo")  # $WORKBENCH_HOME, and a clean folder in it
    disk = lab.make_disk(home / "pc.img", "128M")          # a PC's disk: GPT, EFI partition, ext4 root
    lab.build(disk, "classroom", data_size="8M")           # a workload profile's files on it
    truth = lab.ground_truth(disk)                         # every entry, hashed: what the judge compares with

    image = lab.strategy("image", home / "image")          # a strategy bound to its target
    image.protect(disk, now=datetime(2026, 1, 5, 18, tzinfo=timezone.utc))
    image.points()                                         # its restore points, oldest first

    lab.strike("partition-wipe", disk)                     # a fault; returns the record of what it damaged
    lab.health(disk).ok                                    # False: nothing finds the partitions now
    image.restore(disk, "latest", force=True)              # recover: the newest point over the broken disk
    lab.judge(truth, disk).counts()                        # {'intact': 312, 'missing': 0, 'corrupted': 0, ...}

File-level strategies read the mounted disk themselves: ``lab.strategy("backup", ...)``
covers the users' ``home`` (``folder=`` to change it), a mirror copies it as a plain
folder, so ``lab.judge(lab.ground_truth(disk, "home"), mirror)`` reads the mirror in
place. ``with lab.mounted(disk) as root:`` gives the files themselves; the disk is
unmounted again when the block ends.

Results need no root::

    run = lab.load_results("reports/demo")   # None: the shipped example run
    run.rows, run.ok, run.record             # every row, the rows that ran to the end, the run record
    lab.intact_heatmap(run.rows)             # figures are matplotlib Figures, shown as they are
    lab.recommend(run.rows, lab.Needs(threats=("ransomware",), max_rpo_hours=24))

What is here:

- workspace and disks: ``use_workspace``, ``make_disk``, ``mounted``, ``health``, ``build``
- protecting: ``strategy`` gives a ``Copy`` (``protect``, ``points``, ``point_before``,
  ``restore``, ``verify``, ``footprint``, ``opened``); ``raid1_capacity``
- faults and the judge: ``strike``, ``ground_truth`` (a ``Truth``), ``judge``
- results: ``load_results``, ``read_results``, ``compare`` (measures, as root),
  ``explorer_results`` (reads, never measures), ``measure_workload`` (as root), ``can_measure``,
  ``cell_grid`` (a ``Results``: ``rows``, ``ok``, ``record``, ``note``)
- the explorer's form (needs ipywidgets, the ``[notebooks]`` extra): ``Explorer(results, needs)``,
  whose ``view()`` is notebook 05's page
- what was found (``workbench.report``): ``findings`` (the report's first section: sentences, each
  with the cells it rests on, and the trade-off table)
- figures (``workbench.report``): ``time_space``, ``intact_heatmap``, ``rpo_rto_bars``,
  ``health_heatmap``, ``protect_runs``, ``growth_over_days``, ``sweep_frame``,
  ``shipped_sweep_dirs``, ``size_sweep``, ``churn_size``, ``churn_sweep``, ``holdings``,
  ``options_map``; ``which_tool`` (a family's engines side by side) and ``which_tool_rows`` (their rows)
- advice (``workbench.advice``): ``Needs``, ``recommend``, ``load_claims``,
  ``judge_claims``, ``check_claims``
- names and units: ``known_profiles``, ``known_scenarios``, ``parse_size``, ``format_bytes``,
  ``stopwatch``, ``hexdump``, ``WorkbenchError``, ``RAID1_MIN_BYTES``, ``LOCKED_SUFFIX``,
  ``RANSOM_NOTE``

Everything is the library's own code: lab only binds the pieces together, so what
a notebook shows is what ``workbench compare`` measures.
"""

from __future__ import annotations

from typing import Any

from ..advice import Needs, Recommendation, check_claims, judge_claims, load_claims, recommend
from ..errors import WorkbenchError
from ..experiment.scenario import known_scenarios
from ..faults.ransomware import EXTENSION as LOCKED_SUFFIX
from ..faults.ransomware import NOTE_NAME as RANSOM_NOTE
from ..report.findings import findings
from ..report.notebook_plots import (
                                     churn_size,
                                     churn_sweep,
                                     growth_over_days,
                                     holdings,
                                     options_map,
                                     protect_runs,
                                     shipped_sweep_dirs,
                                     size_sweep,
                                     sweep_frame,
)
from ..report.plots import health_heatmap, intact_heatmap, rpo_rto_bars, time_space
from ..report.which_tool import rows_of_family as which_tool_rows
from ..report.which_tool import which_tool
from ..strategies.mirror.raid1 import MIN_SIZE as RAID1_MIN_BYTES
from ..units import format_bytes, parse_size
from ..workload.profile import known_profiles
from .copies import Copy, raid1_capacity, strategy
from .disks import build, health, make_disk, mounted, strike, use_workspace
from .helpers import Stopwatch, hexdump, stopwatch
from .results import (
    Results,
    can_measure,
    cell_grid,
    compare,
    explorer_results,
    load_results,
    measure_workload,
    read_results,
)
from .truth import Truth, ground_truth, judge

__all__ = [
    # workspace and disks
    "use_workspace", "make_disk", "mounted", "health", "build",
    # protecting
    "Copy", "strategy", "raid1_capacity",
    # faults and the judge
    "strike", "Truth", "ground_truth", "judge",
    # results
    "Results", "load_results", "read_results", "compare", "explorer_results", "measure_workload", "can_measure",
    "cell_grid",
    # the explorer's form
    "Explorer",
    # what was found, figures
    "findings", "time_space", "intact_heatmap", "rpo_rto_bars", "health_heatmap", "protect_runs", "growth_over_days",
    "sweep_frame", "shipped_sweep_dirs", "size_sweep", "churn_size", "churn_sweep", "holdings", "options_map",
    "which_tool", "which_tool_rows",
    # advice
    "Needs", "Recommendation", "recommend", "load_claims", "judge_claims", "check_claims",
    # names, units, helpers
    "known_profiles", "known_scenarios", "parse_size", "format_bytes", "Stopwatch", "stopwatch", "hexdump",
    "WorkbenchError", "RAID1_MIN_BYTES", "LOCKED_SUFFIX", "RANSOM_NOTE",
]


def __getattr__(name: str) -> Any:
    """``lab.Explorer``, imported when first used: its widgets come with the ``[notebooks]`` extra only, and
    the rest of lab works without them."""
    if name == "Explorer":
        from .explorer import Explorer

        return Explorer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
