"""``workbench compare``: run the strategy x scenario matrix, write the results (and the report)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import workspace
from ..errors import UsageError
from ..experiment.cell_process import CellResult
from ..experiment.estimate import Estimate, estimate, refuse_when_short
from ..experiment.executors import make_executor
from ..experiment.matrix import OnCell, cells_dir, finished_rows, plan_cells, run_matrix, run_record
from ..experiment.scenario import DEMO_SCENARIOS, known_scenarios, select
from ..experiment.schedule import parse_schedule
from ..experiment.sizing import check_fill
from ..proc import require_root
from ..progress import Tally
from ..results.redact import redact_cells
from ..results.schema import Row
from ..strategies import catalog
from ..workload.profile import load_profile
from .common import size_of
from .own_workload import own_workload

#: What a results folder holds that a new run would replace (``--force`` removes these, and only these).
RESULT_FILES = ("results.csv", "results.parquet", "run.json", "report.html")


@dataclass(frozen=True)
class Comparison:
    out: Path  # the results folder: results.csv, results.parquet, run.json, cells/
    rows: list[Row]  # one per cell, as results.csv holds them
    report: Path | None  # report.html, unless it was not asked for
    estimate: Estimate | None = None  # what the cells were expected to cost (all a dry run gives)
    resumed: int = 0  # cells whose rows an earlier run had finished (``resume``)
    seconds: float = 0.0  # wall seconds of this run

    @property
    def failed(self) -> list[dict]:
        return [row for row in self.rows if row["status"] == "failed"]

    def summary(self) -> dict[str, Any]:
        """What ``compare --json`` prints."""
        return {"out": str(self.out), "cells": len(self.rows), "ran": len(self.rows) - self.resumed,
                "resumed": self.resumed, "failed": [{"cell": f"{r['strategy']}/{r['scenario']}/r{r['repetition']}",
                                                     "error": r["error"]} for r in self.failed],
                "report": None if self.report is None else str(self.report), "seconds": round(self.seconds, 1)}


def compare(*, out: str | Path, profile: str = "classroom", scenarios: str | Sequence[str] = "demo",
            strategies: str | Sequence[str] = "demo", schedules: Mapping[str, str] | None = None,
            data_size: int | str | None = None, fill: float | None = None, repeat: int = 1, seed: int = 1,
            boot_check: bool = False,
            report: bool = True, quiet: bool | None = None, on_cell: OnCell | None = None, resume: bool = False,
            force: bool = False, jobs: int = 1, executor: str = "sequential", scheduler: str | None = None,
            tree: str | Path | None = None, disk: str | Path | None = None, exclude: Sequence[str] = (),
            churn: str | None = None, dry_run: bool = False, redact_names: bool = False,
            needs: str | Path | None = None) -> Comparison:
    """Run every strategy through every scenario on fresh disks of ``profile``, and score each cell (needs root).

    ``scenarios`` and ``strategies`` are lists, or 'all', 'demo' or a comma-separated text;
    ``schedules`` overrides strategies' schedules (``{"backup": "daily@23"}``); ``fill`` sizes
    every disk so the data fills that share of the root filesystem at its fullest (0.5: half
    full; ``experiment.sizing``), instead of the default generous disk. ``boot_check`` boots
    each recovered disk whose boot may have changed (``experiment.phases.boot_check``): only a profile
    with an operating system has one to boot.
    ``tree`` is a folder of the user's own to use as the workload instead (copied, only read;
    ``exclude`` patterns leave parts out, ``churn`` is its share changed per day, '1%/day'), or
    ``disk`` a workspace disk image whose ext4 root is copied (see ``own_workload``);
    ``redact_names`` replaces their names in ``cells/`` by tokens. ``dry_run`` plans
    the cells and their cost and runs none; a run is refused when the workspace is short of space.
    Each cell runs in a child process of its own: ``jobs`` at a time, or on a Dask cluster
    (``executor="dask"``, ``scheduler``). An ``out`` that holds results is refused unless ``resume``
    (run only the cells it lacks) or ``force`` (replace them).
    """
    started = time.monotonic()
    scenario_names = scenario_selection(scenarios)
    strategy_names = strategy_selection(strategies)
    overrides = schedule_overrides(schedules or {})
    if repeat < 1:
        raise UsageError("--repeat must be 1 or more")
    check_fill(fill)
    if resume and force:
        raise UsageError("--resume finishes the run in --out, --force replaces it: pass one of them")
    run_on = make_executor(executor, jobs=jobs, scheduler=scheduler)
    if needs is not None:  # a bad needs file fails now, not after the matrix
        from ..advice.needs_file import load_needs

        load_needs(needs)
    folder = Path(out).expanduser().resolve()
    if not dry_run:
        prepare_out(folder, resume=resume, force=force)
    own = own_workload(folder, tree=tree, disk=disk, exclude=exclude, churn=churn, redact_names=redact_names,
                       profile=profile, data_size=data_size)
    profile = own.profile if own is not None else profile
    redactor = own.redactor if own is not None else None
    has_os = own is None and bool(load_profile(profile).os)
    if boot_check and not has_os:
        raise UsageError(f"--boot-check boots the recovered disks, but profile '{profile}' installs no operating "
                         "system: use a profile with one (--profile debian)")
    if fill is not None and has_os:
        raise UsageError(f"--fill sizes the disks for the data alone, and profile '{profile}' installs an "
                         "operating system too: leave --fill out (its disks are 1.5 GiB)")
    if not dry_run:
        require_root("running the comparison")
    size = size_of(data_size)
    record = run_record(profile=profile, data_size=size, seed=seed, repeat=repeat, strategies=strategy_names,
                        scenarios=scenario_names, schedules=overrides, fill=fill)
    cells = plan_cells(strategy_names, scenario_names, profile=profile, data_size=record.data_size_bytes,
                       seed=seed, repeat=repeat, schedules=overrides, fill=fill,
                       disk_size=record.disk_size_bytes if fill is not None else None, boot_check=boot_check)
    planned = estimate([cell.label for cell in cells], record.data_size_bytes, workspace.home())
    if dry_run:
        return Comparison(folder, [], None, estimate=planned)
    refuse_when_short(planned, workspace.home())
    resumed = len({cell.label for cell in cells} & set(finished_rows(folder))) if resume else 0

    with Tally(len(cells), "cells", done=resumed, quiet=quiet) as progress:
        def each(done: int, total: int, result: CellResult) -> None:
            if redactor is not None:
                redact_cells(folder / "cells", redactor)
            progress.finished(result.label, result.status, result.seconds)
            if on_cell is not None:
                on_cell(done, total, result)

        try:
            rows = run_matrix(cells, folder, record, each, executor=run_on, resume=resume)
        finally:
            if redactor is not None:  # a cell cut short by Ctrl-C left its details too
                redact_cells(folder / "cells", redactor)
    written = None
    if report:
        from .report import report as write_report

        written = write_report(folder, needs=needs)
    return Comparison(folder, rows, written, estimate=planned, resumed=resumed,
                      seconds=time.monotonic() - started)


def prepare_out(folder: Path, *, resume: bool, force: bool) -> None:
    """Refuse a results folder that holds results unless told what to do with them; with ``force``, remove
    them (the results files and ``cells/``, nothing else)."""
    held = [name for name in RESULT_FILES if (folder / name).exists()] + (["cells/"] if cells_dir(folder).exists()
                                                                          else [])
    if not held or resume:
        return
    if not force:
        raise UsageError(f"'{folder}' already holds results ({', '.join(held)}): pass --resume to finish that run, "
                         "--force to replace it, or another --out")
    for name in RESULT_FILES:
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(cells_dir(folder), ignore_errors=True)


def scenario_selection(scenarios: str | Sequence[str]) -> list[str]:
    """'all', 'demo', 'a,b' or a list -> the scenario names (or YAML paths), each one checked (pure)."""
    if isinstance(scenarios, str):
        text = ",".join(DEMO_SCENARIOS) if scenarios.strip() == "demo" else scenarios
        return select(text, known_scenarios(), "scenario")
    return select(",".join(scenarios), known_scenarios(), "scenario")


def strategy_selection(strategies: str | Sequence[str]) -> list[str]:
    """'all', 'demo', 'a,b:variant' or a list -> the strategies, each one checked (pure)."""
    return catalog.select(strategies if isinstance(strategies, str) else ",".join(strategies))


def schedule_overrides(schedules: Mapping[str, str] | Sequence[str]) -> dict[str, str]:
    """``{"backup": "daily@23"}`` or ``["backup=daily@23"]`` -> the overrides, each strategy and rule checked."""
    pairs = schedules.items() if isinstance(schedules, Mapping) else [_split(item) for item in schedules]
    overrides = {}
    for name, rule in pairs:
        if name not in catalog.names():
            raise UsageError(f"'{name}={rule}': no strategy '{name}'; strategies: {', '.join(catalog.names())}")
        parse_schedule(rule)
        overrides[name] = rule
    return overrides


def _split(item: str) -> tuple[str, str]:
    name, sep, rule = item.partition("=")
    if not sep:
        raise UsageError(f"'{item}' is not STRATEGY=RULE (e.g. backup=daily@23); strategies: "
                         f"{', '.join(catalog.names())}")
    return name, rule

