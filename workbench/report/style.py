"""One look for every figure: a fixed colour per strategy and axis labels that carry units.

The notebooks and the report import from here, so a strategy has the same colour
everywhere. The palette is Okabe-Ito (safe for the common colour-vision
deficiencies), with grey for ``none`` because it is the baseline, not a contender.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Strategy -> colour (hex). The order is the order figures and tables list strategies in.
STRATEGY_COLOURS: dict[str, str] = {
    "none": "#999999",  # grey: the baseline
    "image": "#0072B2",  # blue
    "backup": "#009E73",  # bluish green
    "clone": "#E69F00",  # orange
    "mirror-sync": "#D55E00",  # vermillion
    "mirror-continuous": "#CC79A7",  # reddish purple
    "mirror-two-way": "#56B4E9",  # sky blue
    "raid1": "#000000",  # black
}
#: For names outside the table (a combination like "mirror-sync+backup" in a notebook).
OTHER_COLOUR = "#555555"
#: Variants share their strategy's colour and differ by hatching.
VARIANT_HATCHES = {"quick-check": "", "checksum": "///"}
OTHER_HATCH = "xx"
#: Sequential colour map for heatmaps: perceptually uniform and colour-blind safe.
HEATMAP_CMAP = "cividis"

#: Results column -> axis label with its unit (see docs/results.md).
COLUMN_LABELS: dict[str, str] = {
    "protect_s": "protect time, all runs (s)",
    "protect_s_median": "protect time, one run (s)",
    "protect_runs": "protect runs (count)",
    "footprint_bytes": "footprint on the target (bytes)",
    "reserved_bytes": "capacity reserved (bytes)",
    "protected_bytes": "data in scope (bytes)",
    "space_amplification": "space amplification (ratio, footprint / data)",
    "rto_s": "RTO: time to recover (s)",
    "rpo_hours": "RPO: data lost back to (simulated hours; \"lost\": gone for good)",
    "bytes_intact": "bytes intact (bytes)",
    "bytes_lost": "bytes lost (bytes)",
    "bytes_stale": "bytes stale (bytes)",
    "intact_fraction": "bytes recovered intact (fraction)",
    "files_restored": "files restored (count)",
    "fault_hour": "fault time (simulated hours)",
    "detect_hour": "detection time (simulated hours)",
}


def base_strategy(name: str) -> str:
    """'mirror-sync:checksum' -> 'mirror-sync', 'backup/restic' -> 'backup' (a variant, and a real
    tool's engine, keep their strategy's colour)."""
    return name.partition(":")[0].partition("/")[0]


def colour_of(strategy: str) -> str:
    """The strategy's colour; variants share it, unknown names get OTHER_COLOUR."""
    return STRATEGY_COLOURS.get(base_strategy(strategy), OTHER_COLOUR)


def hatch_of(strategy: str) -> str:
    """The hatch pattern for a strategy's variant ('' for none or the default one)."""
    _, colon, variant = strategy.partition(":")
    return VARIANT_HATCHES.get(variant, OTHER_HATCH) if colon else ""


def strategy_order(strategies: Iterable[str]) -> list[str]:
    """Distinct names in the canonical order (known strategies first; variants and others as first seen)."""
    names = list(dict.fromkeys(strategies))
    rank = {name: i for i, name in enumerate(STRATEGY_COLOURS)}
    return sorted(names, key=lambda n: rank.get(base_strategy(n), len(rank)))


def axis_label(column: str) -> str:
    """The label with unit for a results column; unknown columns are returned as they are."""
    return COLUMN_LABELS.get(column, column)


def label_axes(ax: Axes, *, x: str | None = None, y: str | None = None) -> None:
    """Label a matplotlib Axes from results column names (or free text with a unit)."""
    if x is not None:
        ax.set_xlabel(axis_label(x))
    if y is not None:
        ax.set_ylabel(axis_label(y))


def binary_bytes(value: float, _pos: object = None) -> str:
    """Tick text in binary units: 1048576 -> '1 MiB' (for a FuncFormatter)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def bytes_axis(ax: Axes, axis: str = "y", *, log: bool = False) -> None:
    """Show a bytes axis in KiB/MiB/GiB, optionally on a base-2 log scale."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    if log:
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log", base=2)
        target.set_major_locator(LogLocator(base=2, numticks=8))
    target.set_major_formatter(FuncFormatter(binary_bytes))


def legend_handles(strategies: Iterable[str]) -> list:
    """Patches for a legend listing the strategies in their colours."""
    from matplotlib.patches import Patch

    return [Patch(facecolor=colour_of(s), hatch=hatch_of(s), edgecolor="black", linewidth=0.5, label=s)
            for s in strategy_order(strategies)]
