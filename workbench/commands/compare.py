"""``workbench compare``: run the strategy x scenario matrix, write the results (and the report)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import workspace
from ..errors import UsageError
from ..experiment.estimate import Estimate, estimate, refuse_when_short
from ..experiment.matrix import plan_cells, run_matrix, run_record
from ..experiment.scenario import DEMO_SCENARIOS, known_scenarios, select
from ..experiment.schedule import parse_schedule
from ..experiment.sizing import check_fill
from ..proc import require_root
from ..progress import bar
from ..results.redact import redact_cells
from ..results.schema import Row
from ..strategies import catalog
from .common import size_of
from .own_workload import own_workload

#: Called after each cell with (cells done, cells in all, the cell's row).
OnCell = Callable[[int, int, dict], None]


@dataclass(frozen=True)
class Comparison:
    out: Path  # the results folder: results.csv, results.parquet, run.json, cells/
    rows: list[Row]  # one per cell, as results.csv holds them
    report: Path | None  # report.html, unless it was not asked for
    estimate: Estimate | None = None  # what the cells were expected to cost (all a dry run gives)

    @property
    def failed(self) -> list[dict]:
        return [row for row in self.rows if row["status"] == "failed"]


def compare(*, out: str | Path, profile: str = "classroom", scenarios: str | Sequence[str] = "demo",
            strategies: str | Sequence[str] = "demo", schedules: Mapping[str, str] | None = None,
            data_size: int | str | None = None, fill: float | None = None, repeat: int = 1, seed: int = 1,
            report: bool = True, quiet: bool | None = None, on_cell: OnCell | None = None,
            tree: str | Path | None = None, disk: str | Path | None = None, exclude: Sequence[str] = (),
            churn: str | None = None, dry_run: bool = False, redact_names: bool = False,
            needs: str | Path | None = None) -> Comparison:
    """Run every strategy through every scenario on fresh disks of ``profile``, and score each cell (needs root).

    ``scenarios`` and ``strategies`` are lists, or 'all', 'demo' or a comma-separated text;
    ``schedules`` overrides strategies' schedules (``{"backup": "daily@23"}``); ``fill`` sizes
    every disk so the data fills that share of the root filesystem at its fullest (0.5: half
    full; ``experiment.sizing``), instead of the default generous disk.
    ``tree`` is a folder of the user's own to use as the workload instead (copied, only read;
    ``exclude`` patterns leave parts out, ``churn`` is its share changed per day, '1%/day'), or
    ``disk`` a workspace disk image whose ext4 root is copied (see ``own_workload``);
    ``redact_names`` replaces their names in ``cells/`` by tokens. ``dry_run`` plans
    the cells and their cost and runs none; a run is refused when the workspace is short of space.
    """
    scenario_names = scenario_selection(scenarios)
    strategy_names = strategy_selection(strategies)
    overrides = schedule_overrides(schedules or {})
    if repeat < 1:
        raise UsageError("--repeat must be 1 or more")
    check_fill(fill)
    if needs is not None:  # a bad needs file fails now, not after the matrix
        from ..advice.needs_file import load_needs

        load_needs(needs)
    folder = Path(out).expanduser().resolve()
    own = own_workload(folder, tree=tree, disk=disk, exclude=exclude, churn=churn, redact_names=redact_names,
                       profile=profile, data_size=data_size)
    profile = own.profile if own is not None else profile
    redactor = own.redactor if own is not None else None
    if not dry_run:
        require_root("running the comparison")
    size = size_of(data_size)
    record = run_record(profile=profile, data_size=size, seed=seed, repeat=repeat, strategies=strategy_names,
                        scenarios=scenario_names, schedules=overrides, fill=fill)
    cells = plan_cells(strategy_names, scenario_names, profile=profile, data_size=record.data_size_bytes,
                       seed=seed, repeat=repeat, schedules=overrides, fill=fill,
                       disk_size=record.disk_size_bytes if fill is not None else None)
    planned = estimate([cell.label for cell in cells], record.data_size_bytes, workspace.home())
    if dry_run:
        return Comparison(folder, [], None, planned)
    refuse_when_short(planned, workspace.home())
    progress = bar(len(cells), "cells", unit="cell", quiet=quiet)

    def each(done: int, total: int, row: dict) -> None:
        if redactor is not None:
            redact_cells(folder / "cells", redactor)
        progress.set_postfix_str(f"{row['strategy']}/{row['scenario']}: {row['status']}")
        progress.update(1)
        if on_cell is not None:
            on_cell(done, total, row)

    with progress:
        try:
            rows = run_matrix(cells, folder, record, each)
        finally:
            if redactor is not None:  # a cell cut short by Ctrl-C left its details too
                redact_cells(folder / "cells", redactor)
    written = None
    if report:
        from .report import report as write_report

        written = write_report(folder, needs=needs)
    return Comparison(folder, rows, written, planned)


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

