"""Figures the notebooks need beyond the report's: protect runs over simulated days, sweeps across
data sizes and daily churn, what each copy holds after an attack, and the explorer's options.

Same rules as ``plots``: DataFrame in, ``matplotlib.figure.Figure`` out, no pyplot, colours
from ``style``, units on every axis. ``protect_runs`` reads the per-cell details a results
folder keeps (``cells/*.json``), which hold each protect run's time and stored bytes;
``sweep_frame`` reads several results folders (``results.csv`` and ``run.json`` are enough)
into one table tagged with each run's data size and churn factor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import UsageError
from ..results.store import load_results
from ..workload.profile import load_profile
from .style import binary_bytes, bytes_axis, colour_of, hatch_of, label_axes, legend_handles, strategy_order
from .tables import rows_of

#: The shipped sweep sets (``make example-results``): the classroom run plus examples/sweep/*.
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"  # a checkout's; a wheel ships none
#: How ``workbench.advice.explore.scaled_profile`` names a profile with its churn scaled.
CHURNED_NAME = re.compile(r"^(?P<base>.+)-churn-x(?P<factor>[0-9]+(?:\.[0-9]+)?)$")
#: The judge's verdicts in the holdings chart: colours no strategy has, so a verdict never reads as a strategy.
HOLDING_COLOURS = {"intact": "#1B7837", "stale": "#F0E442", "missing": "#D9D9D9", "corrupted": "#B2182B",
                   "unexpected": "#762A83"}


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _label_from_cell(cell: str) -> tuple[str, str, int]:
    """'mirror-sync-checksum__deletion__r1' -> ('mirror-sync:checksum', 'deletion', 1)."""
    strategy, scenario, rep = cell.split("__")
    for variant in ("checksum", "quick-check"):
        if strategy.endswith("-" + variant):
            strategy = strategy.removesuffix("-" + variant) + (":" + variant if variant == "checksum" else "")
    return strategy, scenario, int(rep.removeprefix("r"))


def protect_runs(results_dir: str | Path) -> pd.DataFrame:
    """One row per protect run of every cell: strategy, scenario, repetition, day, seconds, stored bytes.

    ``day`` counts simulated days from the first run of the cell; ``stored_total_bytes``
    adds up what each run stored (the target's growth, before any pruning).
    """
    rows = []
    for path in sorted(Path(results_dir, "cells").glob("*.json")):
        details = json.loads(path.read_text())
        strategy, scenario, rep = _label_from_cell(details.get("cell", path.stem))
        for run in details.get("protect_runs", []):
            if "seconds" not in run:
                continue  # a failed run
            rows.append({"strategy": strategy, "scenario": scenario, "repetition": rep,
                         "time": pd.Timestamp(run["time"]), "kind": run.get("kind", ""),
                         "seconds": float(run["seconds"]), "stored_bytes": int(run.get("stored_bytes", 0))})
    frame = pd.DataFrame(rows, columns=["strategy", "scenario", "repetition", "time", "kind", "seconds",
                                        "stored_bytes"])
    if frame.empty:
        return frame.assign(day=pd.Series(dtype=float), stored_total_bytes=pd.Series(dtype=float))
    keys = ["strategy", "scenario", "repetition"]
    frame = frame.sort_values([*keys, "time"]).reset_index(drop=True)
    first = frame.groupby(keys)["time"].transform("min")
    frame["day"] = (frame["time"] - first).dt.total_seconds() / 86400
    frame["stored_total_bytes"] = frame.groupby(keys)["stored_bytes"].cumsum()
    return frame


def growth_over_days(runs: pd.DataFrame, reserved: Mapping[Hashable, float] | None = None) -> Figure:
    """Left: seconds of each protect run over simulated days. Right: bytes stored so far (log scale).

    ``reserved`` (strategy -> bytes) draws the capacity a strategy ties up as a dashed line,
    so a clone's whole reserved disk stands beside an image's growing increments.
    """
    fig = _figure(12.0, 4.4)
    time_ax, space_ax = fig.subplots(1, 2)
    typical = runs.groupby(["strategy", "day"], as_index=False).agg(seconds=("seconds", "median"),
                                                                    stored=("stored_total_bytes", "median"))
    names = strategy_order(typical["strategy"])
    for name in names:
        mine = typical[typical["strategy"] == name]
        style = {"color": colour_of(name), "marker": "o", "markersize": 3, "linewidth": 1.2, "label": name}
        time_ax.plot(mine["day"], mine["seconds"], **style)
        positive = mine[mine["stored"] > 0]
        space_ax.plot(positive["day"], positive["stored"], **style)
        if reserved and reserved.get(name, 0) > 0:
            space_ax.axhline(reserved[name], color=colour_of(name), linestyle="--", linewidth=1.0)
    time_ax.set_title("Each protect run")
    label_axes(time_ax, y="protect time, one run (s)")
    time_ax.set_xlabel("simulated time since the first run (days)")
    time_ax.grid(alpha=0.3)
    space_ax.set_title("Bytes stored so far (dashed: capacity reserved)")
    bytes_axis(space_ax, "y", log=True)
    space_ax.set_ylabel("stored on the target, cumulative (bytes)")
    space_ax.set_xlabel("simulated time since the first run (days)")
    space_ax.grid(alpha=0.3)
    fig.legend(handles=legend_handles(names), loc="outside right upper", title="strategy")
    return fig


def shipped_sweep_dirs() -> list[Path]:
    """The shipped results folders a sweep can read without root: examples/classroom and examples/sweep/*."""
    candidates = [EXAMPLES_DIR / "classroom", *sorted((EXAMPLES_DIR / "sweep").glob("*"))]
    return [folder for folder in candidates if (folder / "results.csv").is_file()]


def churn_factor(profile: str) -> tuple[str, float]:
    """(base profile, churn factor) of a run's profile: 'classroom' -> ('classroom', 1.0);
    '.../classroom-churn-x4.yaml' (a ``scaled_profile`` copy) -> ('classroom', 4.0)."""
    stem = Path(str(profile)).stem if str(profile).endswith((".yaml", ".yml")) else Path(str(profile)).name
    match = CHURNED_NAME.match(stem)
    return (match["base"], float(match["factor"])) if match else (stem, 1.0)


def sweep_frame(folders: Iterable[str | Path]) -> pd.DataFrame:
    """The rows of several results folders in one table, for ``size_sweep`` and ``churn_sweep``.

    Each row gains ``data_size_bytes`` (from its run record; the profile's default in
    records that predate it), ``base_profile`` and
    ``churn_factor`` (from the profile the run recorded) and ``results_dir``. Only the
    scenarios every folder measured are kept, so two points differ in size or churn, not in
    which faults struck (the fault hour changes the footprint). A folder given twice is read once.
    """
    frames, seen = [], set()
    for folder in folders:
        real = Path(folder).resolve()
        if real in seen:
            continue
        seen.add(real)
        results, record = load_results(real)
        base, factor = churn_factor(record.get("profile") or str(results["profile"].iloc[0]))
        size = record.get("data_size_bytes") or load_profile(base).default_data_size  # older records: the default
        frames.append(results.assign(data_size_bytes=int(size), base_profile=base, churn_factor=factor,
                                     results_dir=str(real)))
    if not frames:
        raise UsageError("no results folders to sweep: give the --out folders of some 'workbench compare' runs")
    common = set.intersection(*(set(f["scenario"]) for f in frames))
    if not common:
        raise UsageError(f"the folders share no scenario, so no point can be set beside another: {sorted(seen)}")
    sweep = pd.concat(frames, ignore_index=True)
    return sweep[sweep["scenario"].isin(common)].reset_index(drop=True)


def _typical(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Medians per strategy and ``by`` of footprint, reserved capacity and one protect run's time (ok rows)."""
    ok = frame[frame["status"].astype(str) == "ok"]
    return ok.groupby(["strategy", by], as_index=False).agg(
        footprint=("footprint_bytes", "median"), reserved=("reserved_bytes", "median"),
        seconds=("protect_s_median", "median"))


def _sweep_figure(typical: pd.DataFrame, by: str) -> tuple[Figure, Axes, Axes, list[str]]:
    """Footprint (solid, log) with reserved capacity (dashed) on the left, protect time on the right."""
    fig = _figure(12.0, 4.2)
    space_ax, time_ax = fig.subplots(1, 2)
    names = strategy_order(typical["strategy"])
    for name in names:
        mine = typical[typical["strategy"] == name].sort_values(by)
        style = {"color": colour_of(name), "marker": "o", "linewidth": 1.4}
        shown = mine[mine["footprint"] > 0]
        space_ax.plot(shown[by], shown["footprint"], **style)
        space_ax.plot(mine[by], mine["reserved"].where(mine["reserved"] > 0), color=colour_of(name),
                      linestyle="--", linewidth=1.0)
        time_ax.plot(mine[by], mine["seconds"], **style)
    bytes_axis(space_ax, "y", log=True)
    space_ax.set_ylabel("bytes on the target (bytes, log scale)")
    label_axes(time_ax, y="protect_s_median")
    for ax in (space_ax, time_ax):
        ax.grid(alpha=0.3)
    fig.legend(handles=legend_handles(names), loc="outside right upper", title="strategy")
    return fig, space_ax, time_ax, names


def size_sweep(frame: pd.DataFrame) -> Figure:
    """Footprint (log) and one protect run's time against the data size; needs a ``data_size_bytes`` column.

    With a ``churn_factor`` column (``sweep_frame``), only the runs at the lowest churn are
    drawn, so a line moves with the data size alone.
    """
    if "churn_factor" in frame:
        frame = frame[frame["churn_factor"] == frame["churn_factor"].min()]
    typical = _typical(frame, "data_size_bytes")
    fig, space_ax, time_ax, _ = _sweep_figure(typical, "data_size_bytes")
    for ax in (space_ax, time_ax):
        bytes_axis(ax, "x")
        ax.set_xticks(sorted(typical["data_size_bytes"].unique()))  # a tick at each size measured
        ax.set_xlabel("data on the disk (bytes)")
    space_ax.set_title("Footprint (solid) and capacity reserved (dashed)")
    time_ax.set_title("Time of one protect run")
    return fig


def churn_size(frame: pd.DataFrame) -> int:
    """The data size the churn sweep is drawn at: the one measured at the most churn factors (then the most rows)."""
    per_size = frame.groupby("data_size_bytes").agg(factors=("churn_factor", "nunique"), rows=("churn_factor", "size"))
    return int(per_size.sort_values(["factors", "rows"], ascending=False).index[0])


def churn_sweep(frame: pd.DataFrame) -> Figure:
    """Footprint (log) and one protect run's time against the daily churn, at one data size.

    Needs ``data_size_bytes`` and ``churn_factor`` columns (``sweep_frame``). The churn is
    the factor the profile's daily change rates were scaled by (1 = the profile as shipped).
    """
    size = churn_size(frame)
    fig, space_ax, time_ax, _ = _sweep_figure(_typical(frame[frame["data_size_bytes"] == size], "churn_factor"),
                                              "churn_factor")
    factors = sorted(frame.loc[frame["data_size_bytes"] == size, "churn_factor"].unique())
    for ax in (space_ax, time_ax):
        ax.set_xscale("log", base=2)
        ax.set_xticks(factors, labels=[f"x{f:g}" for f in factors])
        ax.minorticks_off()
        ax.set_xlabel("daily churn, times the profile's own rates (ratio, log scale)")
    space_ax.set_title(f"Footprint (solid), capacity reserved (dashed); {binary_bytes(size)} of data")
    time_ax.set_title(f"Time of one protect run; {binary_bytes(size)} of data")
    return fig


def holdings(counts: pd.DataFrame) -> Figure:
    """Stacked bars: per copy, how many of the files the user had before the attack it holds, by category.

    ``counts`` has one row per copy (its index) and a column per judge category
    (intact, stale, missing, corrupted, unexpected), as ``Comparison.counts()`` gives.
    """
    fig = _figure(9.0, 0.9 + 0.55 * max(len(counts), 2))
    ax = fig.add_subplot()
    left = np.zeros(len(counts))
    for category, colour in HOLDING_COLOURS.items():
        if category not in counts:
            continue
        values = counts[category].to_numpy(dtype=float)
        ax.barh(range(len(counts)), values, left=left, color=colour, edgecolor="black", linewidth=0.4,
                label=category)
        left += values
    ax.set_yticks(range(len(counts)), labels=list(counts.index))
    ax.invert_yaxis()
    ax.set_xlabel("entries (files, folders, links), judged against the user's before the attack (count)")
    ax.set_title("What each copy holds after the attack")
    fig.legend(loc="outside right upper", fontsize=8, title="judge's verdict")
    ax.grid(axis="x", alpha=0.3)
    return fig


def options_map(options: pd.DataFrame, chosen: str | None = None) -> Figure:
    """The explorer's options: threats answered against space tied up (log), the chosen one circled."""
    fig = _figure(8.0, 4.6)
    ax = fig.add_subplot()
    for row in rows_of(options):
        members = row.option.split(" + ")
        colours = [colour_of(m) for m in members]
        ax.scatter(row.space_bytes, row.threats_answered, s=90 if len(members) == 1 else 60,
                   color=colours[0], edgecolor=colours[-1], linewidth=2.5, hatch=hatch_of(members[0]), zorder=3)
        if len(members) == 1 or row.option == chosen:  # pairs crowd the plot: name only the chosen one
            ax.annotate(row.option, (row.space_bytes, row.threats_answered), fontsize=8, rotation=30,
                        xytext=(4, 6), textcoords="offset points")
        if row.option == chosen:
            ax.scatter(row.space_bytes, row.threats_answered, s=400, facecolor="none", edgecolor="black",
                       linewidth=1.5, zorder=4)
    bytes_axis(ax, "x", log=True)
    ax.set_xlabel("space tied up by the option (bytes, log scale)")
    ax.set_ylabel("feared threats answered (count)")
    ax.set_yticks(range(0, int(options["threats"].max()) + 1))
    ax.set_title("Every option: a dot per strategy, a ringed dot per pair (circled: the recommendation)")
    ax.grid(alpha=0.3)
    return fig
