"""Figures from a results frame: pure functions, DataFrame in, matplotlib Figure out.

They build ``matplotlib.figure.Figure`` objects directly (no pyplot), so they
never open a window, keep no global state, and display as they are in a
notebook. Each strategy keeps its colour from ``style``; every axis names its unit.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from . import tables
from .style import HEATMAP_CMAP, axis_label, bytes_axis, colour_of, hatch_of, label_axes, legend_handles, strategy_order
from .timeline import Lane

#: The fault and its detection on a timeline: a colour no strategy has.
FAULT_COLOUR = "#B2182B"
#: The checks the health figure shows, with their short titles.
HEALTH_TITLES = {
    "came_back_clean": "came back clean (no ciphertext or rot)",
    "partition_table_ok": "partition table as before",
    "boot_ok": "boot code as before",
    "esp_ok": "ESP files as before",
    "fs_uuid_ok": "root filesystem UUID as before",
    "fsck_clean": "fsck finds the root clean",
}


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _heatmap(ax: Axes, grid: pd.DataFrame, *, text: Callable[[str, str, float], tuple[str, bool]]) -> AxesImage:
    """Draw a 0..1 grid (rows strategies, columns scenarios); NaN cells stay white with a dash."""
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(values, cmap=HEATMAP_CMAP, vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(grid.columns)), labels=list(grid.columns), rotation=35, ha="right")
    ax.set_yticks(range(len(grid.index)), labels=list(grid.index))
    ax.tick_params(length=0)
    for y, label in enumerate(grid.index):
        for x, scenario in enumerate(grid.columns):
            value = values[y, x]
            words, dark = text(label, scenario, value)
            ax.text(x, y, words, ha="center", va="center", fontsize=8, color="white" if dark else "black")
    return image


def intact_heatmap(frame: pd.DataFrame) -> Figure:
    """Strategy × scenario: the share of the disk's bytes that came back intact (median over repetitions)."""
    summary = tables.summary(frame)
    grid = tables.pivot(summary, "intact_fraction")
    failed = tables.pivot(summary, "failed")
    unmeasured = tables.pivot(summary, "repetitions").isna()
    fig = _figure(max(6.5, 2.6 + 0.85 * len(grid.columns)), 1.6 + 0.42 * max(len(grid.index), 2))
    ax = fig.add_subplot()

    def text(label: str, scenario: str, value: float) -> tuple[str, bool]:
        if unmeasured.loc[label, scenario]:
            return "", False
        if math.isnan(value):
            return ("failed" if failed.loc[label, scenario] else "–"), False
        return f"{100 * value:.1f}%", value < 0.6

    image = _heatmap(ax, grid, text=text)
    ax.set_xlabel("scenario (the fault that struck)")
    ax.set_ylabel("strategy")
    ax.set_title("Bytes recovered intact")
    fig.colorbar(image, ax=ax, label=axis_label("intact_fraction"), shrink=0.9)
    return fig


def heatmap_cell_boxes(fig: Figure) -> list[tuple[str, str, tuple[int, int, int, int]]]:
    """(strategy, scenario, (left, top, right, bottom) in image pixels) for each cell of a heatmap figure.

    For an HTML image map over the PNG saved at ``fig.dpi`` without cropping.
    """
    ax = fig.axes[0]
    fig.canvas.draw()
    height = fig.bbox.height
    labels = [t.get_text() for t in ax.get_yticklabels()]
    scenarios = [t.get_text() for t in ax.get_xticklabels()]
    boxes = []
    for y, label in enumerate(labels):
        for x, scenario in enumerate(scenarios):
            (x0, y0), (x1, y1) = ax.transData.transform([(x - 0.5, y + 0.5), (x + 0.5, y - 0.5)])
            top, bottom = sorted((height - y0, height - y1))
            boxes.append((label, scenario, (round(min(x0, x1)), round(top), round(max(x0, x1)), round(bottom))))
    return boxes


def _grouped_bars(ax: Axes, summary: pd.DataFrame, column: str, *,
                  spread: bool) -> list[tuple[float, str, float]]:
    """Bars of ``column`` grouped by scenario, one colour per strategy.

    Returns (x, label, value) of the cells that ran but have no finite value (NaN, or inf: unbounded),
    which get no bar; the caller marks them."""
    labels = strategy_order(summary["label"])
    scenarios = list(dict.fromkeys(summary["scenario"]))
    width = 0.8 / max(len(labels), 1)
    missing = []
    for i, label in enumerate(labels):
        rows = summary[summary["label"] == label].set_index("scenario").reindex(scenarios)
        xs = np.arange(len(scenarios)) - 0.4 + width * (i + 0.5)
        values = rows[f"{column}_median" if spread else column].to_numpy(dtype=float)
        errors = None
        if spread:
            errors = np.vstack([values - rows[f"{column}_min"].to_numpy(dtype=float),
                                rows[f"{column}_max"].to_numpy(dtype=float) - values])
        ax.bar(xs, np.nan_to_num(values, posinf=0.0), width, yerr=errors, color=colour_of(label),
               hatch=hatch_of(label),
               edgecolor="black",
               linewidth=0.4, label=label, error_kw={"elinewidth": 0.8, "capsize": 1.5})
        present = rows["repetitions"].notna().to_numpy()
        missing += [(x, label, v) for x, v, p in zip(xs, values, present) if p and not math.isfinite(v)]
    ax.set_xticks(range(len(scenarios)), labels=scenarios, rotation=35, ha="right")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return missing


def rpo_rto_bars(frame: pd.DataFrame) -> Figure:
    """RPO (simulated hours of changes lost) and RTO (real seconds to recover) per strategy and scenario."""
    summary = tables.summary(frame)
    scenarios = summary["scenario"].nunique()
    fig = _figure(max(8.0, 3.0 + 0.9 * scenarios), 7.5)
    rpo_ax, rto_ax = fig.subplots(2, 1, sharex=True)
    unmarked = _grouped_bars(rpo_ax, summary, "rpo_hours", spread=False)
    rpo_ax.set_ylim(bottom=0, top=max(1.0, rpo_ax.get_ylim()[1]))
    for x, _label, value in unmarked:
        if math.isinf(value):  # data lost for good: no number of hours describes it, and it is never 0
            rpo_ax.text(x, 0, tables.LOST, rotation=90, ha="center", va="bottom", fontsize=7, color="#D55E00")
        else:
            rpo_ax.plot(x, 0, marker="x", color="#D55E00", markersize=6, linestyle="none")
    rpo_ax.set_title(f"RPO (lower is better; {tables.LOST} = in-scope data gone for good; × = undefined)")
    label_axes(rpo_ax, y="rpo_hours")
    _grouped_bars(rto_ax, summary, "rto_s", spread=True)
    rto_ax.set_title("RTO (lower is better; whiskers: min–max over repetitions)")
    label_axes(rto_ax, x="scenario", y="rto_s")
    rto_ax.set_xlabel("scenario (the fault that struck)")
    fig.legend(handles=legend_handles(summary["label"]), loc="outside right upper", title="strategy")
    return fig


def _strategy_spread(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Median, min and max of ``column`` per strategy over every ok row (all scenarios and repetitions)."""
    derived = tables.with_derived(frame)
    ok = derived[derived["ok"]].assign(value=lambda d: pd.to_numeric(d[column], errors="coerce"))
    stats = ok.groupby("label")["value"].agg(["median", "min", "max"])
    return stats.reindex(strategy_order(derived["label"]))


def _spread_bars(ax: Axes, stats: pd.DataFrame, *, empty: str, floor: float = 0.0) -> None:
    values = stats["median"].to_numpy(dtype=float)
    shown = np.where(values > floor, values, np.nan)
    errors = np.vstack([shown - stats["min"].clip(lower=floor).to_numpy(dtype=float),
                        stats["max"].to_numpy(dtype=float) - shown])
    xs = np.arange(len(stats))
    ax.bar(xs, np.nan_to_num(shown, nan=0.0), yerr=np.nan_to_num(errors), color=[colour_of(s) for s in stats.index],
           hatch=[hatch_of(s) for s in stats.index], edgecolor="black", linewidth=0.4,
           error_kw={"elinewidth": 0.8, "capsize": 3})
    for x, value in zip(xs, shown):
        if math.isnan(value):
            ax.text(float(x), 0.02, empty, rotation=90, ha="center", va="bottom", fontsize=8, color="#555555",
                    transform=ax.get_xaxis_transform())
    ax.set_xticks(xs, labels=list(stats.index), rotation=35, ha="right")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


def time_space(frame: pd.DataFrame) -> Figure:
    """Per strategy: time of one protect run, footprint (log scale) against capacity reserved, space amplification.

    Bars are medians over every scenario and repetition; whiskers span min to max.
    """
    fig = _figure(13.0, 4.6)
    time_ax, space_ax, amp_ax = fig.subplots(1, 3)
    _spread_bars(time_ax, _strategy_spread(frame, "protect_s_median"), empty="no runs")
    time_ax.set_title("Time of one protect run")
    label_axes(time_ax, x="strategy", y="protect_s_median")
    time_ax.set_xlabel("strategy")

    footprint = _strategy_spread(frame, "footprint_bytes")
    _spread_bars(space_ax, footprint, empty="nothing kept", floor=1.0)
    reserved = _strategy_spread(frame, "reserved_bytes")["median"].to_numpy(dtype=float)
    positive = np.where(reserved > 0, reserved, np.nan)
    space_ax.plot(np.arange(len(reserved)), positive, marker="_", markersize=22, markeredgewidth=2.5,
                  color="black", linestyle="none", label="capacity reserved (median)")
    highest = np.append(positive, footprint["max"].to_numpy(dtype=float))
    if np.any(highest > 0):  # a log axis needs something above zero
        bytes_axis(space_ax, "y", log=True)
        space_ax.set_ylim(top=4 * np.nanmax(highest))
    space_ax.set_title("Footprint on the target (log scale)")
    space_ax.set_ylabel(axis_label("footprint_bytes"))
    space_ax.set_xlabel("strategy")
    space_ax.legend(loc="upper right", fontsize=8)

    _spread_bars(amp_ax, _strategy_spread(frame, "space_amplification"), empty="nothing kept")
    amp_ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    amp_ax.set_title("Space amplification (dashed: 1 copy)")
    label_axes(amp_ax, y="space_amplification")
    amp_ax.set_xlabel("strategy")
    return fig


def health_heatmap(frame: pd.DataFrame) -> Figure:
    """One small strategy × scenario grid per check: the share of repetitions whose recovered disk passed."""
    summary = tables.summary(frame)
    unmeasured = tables.pivot(summary, "repetitions").isna()
    columns = [c for c in HEALTH_TITLES if c in summary]
    cols = 3
    rows = math.ceil(len(columns) / cols)
    grid0 = tables.pivot(summary, columns[0])
    fig = _figure(2.5 + cols * (0.45 * max(len(grid0.columns), 3) + 1.2),
                  0.8 + rows * (1.9 + 0.32 * max(len(grid0.index), 2)))
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, sharey=True)).ravel()
    image = None
    for ax, column in zip(axes, columns):
        grid = tables.pivot(summary, column)

        def text(label: str, scenario: str, value: float) -> tuple[str, bool]:
            if math.isnan(value):
                return ("" if unmeasured.loc[label, scenario] else "–"), False
            return ("yes" if value == 1 else "no" if value == 0 else f"{100 * value:.0f}%"), value < 0.6

        image = _heatmap(ax, grid, text=text)
        ax.set_title(HEALTH_TITLES[column], fontsize=10)
    for ax in axes[len(columns):]:
        ax.set_visible(False)
    fig.supxlabel("scenario (the fault that struck)")
    fig.supylabel("strategy")
    assert image is not None  # subplots() refused a figure with no checks to show
    fig.colorbar(image, ax=list(axes[:len(columns)]), label="repetitions that passed (fraction)", shrink=0.8)
    return fig


def timeline(lanes: list[Lane], scenario: str) -> Figure:
    """One lane per strategy over simulated days: protect runs as ticks, the fault, its detection, the
    restore point each recovery used (a diamond; missing when nothing true came back)."""
    fig = _figure(10.0, 1.2 + 0.42 * max(len(lanes), 2))
    ax = fig.add_subplot()
    for y, lane in enumerate(lanes):
        colour = colour_of(lane.label)
        ax.axhline(y, color="#dddddd", linewidth=0.8, zorder=0)
        ax.plot([h / 24 for h in lane.protect_hours], [y] * len(lane.protect_hours), linestyle="none",
                marker="|", markersize=14, markeredgewidth=2, color=colour, gid=f"ticks-{y}")
        ax.plot([h / 24 for h in lane.failed_hours], [y] * len(lane.failed_hours), linestyle="none",
                marker="x", markersize=8, color=colour)
        if lane.restore_hour is not None:
            ax.plot(lane.restore_hour / 24, y, marker="D", markersize=7, color=colour, markeredgecolor="black")
        if not lane.runs_known and lane.protect_runs:
            ax.text(0.0, y + 0.18, f"{lane.protect_runs} protect run(s); times in cells/ (not kept here)",
                    fontsize=7, color="#555555")
    if lanes:
        ax.axvline(lanes[0].fault_hour / 24, color=FAULT_COLOUR, linewidth=1.6, label="fault")
        ax.axvline(lanes[0].detect_hour / 24, color=FAULT_COLOUR, linewidth=1.2, linestyle="--", label="noticed")
        ax.set_xlim(left=-0.1, right=max(lane.detect_hour for lane in lanes) / 24 + 0.3)
        ax.legend(loc="lower left", fontsize=8)
    ax.set_yticks(range(len(lanes)), labels=[lane.label for lane in lanes])
    ax.set_ylim(len(lanes) - 0.5, -0.6)
    ax.set_xlabel("simulated time (days since day 0 00:00)")
    ax.set_title(f"{scenario}: protect runs (ticks), fault, noticed, restore point used (diamond)")
    return fig
