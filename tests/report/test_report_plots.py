"""Plots: values drawn as computed, every axis labelled with a unit, one colour per strategy everywhere."""

from __future__ import annotations

import re

import matplotlib
import pytest
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer

from workbench.report import plots
from workbench.report.style import STRATEGY_COLOURS, colour_of, hatch_of

UNIT = re.compile(r"\((s|bytes|fraction|ratio|simulated hours|count)[^)]*\)$")


def test_palette_is_fixed_and_distinct():
    assert list(STRATEGY_COLOURS) == ["none", "image", "backup", "clone", "mirror-sync", "mirror-continuous",
                                      "mirror-two-way", "raid1"]
    assert len(set(STRATEGY_COLOURS.values())) == len(STRATEGY_COLOURS)
    assert colour_of("mirror-sync:checksum") == colour_of("mirror-sync")
    assert hatch_of("mirror-sync:checksum") != hatch_of("mirror-sync")


def test_heatmap_writes_each_cells_measured_share(tiny_frame):
    fig = plots.intact_heatmap(tiny_frame)
    ax = fig.axes[0]
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    rows = [t.get_text() for t in ax.get_yticklabels()]
    columns = [t.get_text() for t in ax.get_xticklabels()]
    assert rows == ["backup", "mirror-sync:quick-check", "mirror-sync:checksum"]
    assert columns == ["deletion", "ransomware"]
    assert texts[(0, 0)] == "75.0%" and texts[(0, 1)] == "50.0%"
    assert texts[(1, 0)] == "0.0%" and texts[(2, 1)] == ""  # checksum never ran ransomware
    assert UNIT.search(fig.axes[1].get_ylabel())  # the colour bar


def test_heatmap_boxes_tile_the_grid(tiny_frame):
    fig = plots.intact_heatmap(tiny_frame)
    boxes = plots.heatmap_cell_boxes(fig)
    width, height = fig.get_size_inches() * fig.dpi
    assert len(boxes) == 6
    for _label, _scenario, (left, top, right, bottom) in boxes:
        assert 0 <= left < right <= width and 0 <= top < bottom <= height
    by_cell = {(label, scenario): box for label, scenario, box in boxes}
    assert by_cell[("backup", "deletion")][2] == by_cell[("backup", "ransomware")][0]  # side by side
    assert by_cell[("backup", "deletion")][3] == by_cell[("mirror-sync:quick-check", "deletion")][1]  # stacked


def _labelled_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


@pytest.mark.parametrize("name", ["rpo_rto_bars", "time_space"])
def test_bar_axes_name_their_unit(tiny_frame, name):
    fig = getattr(plots, name)(tiny_frame)
    for ax in _labelled_axes(fig):
        assert UNIT.search(ax.get_ylabel()), f"{name}: y label without a unit: {ax.get_ylabel()!r}"


def test_health_grids_title_each_check_and_label_the_scale(tiny_frame):
    fig = plots.health_heatmap(tiny_frame)
    titles = [ax.get_title() for ax in _labelled_axes(fig)]
    assert set(plots.HEALTH_TITLES.values()) <= set(titles)
    assert fig.get_supxlabel() and fig.get_supylabel()
    colorbar = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert colorbar and UNIT.search(colorbar[0].get_ylabel())


def _bar_colours(ax) -> dict[str, str]:
    """Strategy -> bar face colour, from grouped bars (containers) or one bar per x tick."""
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    if any(not c.get_label().startswith("_") for c in bars):
        return {c.get_label(): to_hex(c.patches[0].get_facecolor()) for c in bars}
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    return {tick: to_hex(patch.get_facecolor()) for tick, patch in zip(ticks, bars[0].patches)}


def test_a_strategy_keeps_its_colour_across_figures(tiny_frame):
    rpo_ax = plots.rpo_rto_bars(tiny_frame).axes[0]
    time_ax = plots.time_space(tiny_frame).axes[0]
    first, second = _bar_colours(rpo_ax), _bar_colours(time_ax)
    assert set(first) == set(second) == {"backup", "mirror-sync:quick-check", "mirror-sync:checksum"}
    for strategy in first:
        assert first[strategy] == second[strategy] == colour_of(strategy).lower()


def test_rto_bars_are_medians_with_the_repetition_range(tiny_frame):
    rto_ax = plots.rpo_rto_bars(tiny_frame).axes[1]
    backup = next(c for c in rto_ax.containers if c.get_label() == "backup")
    assert [p.get_height() for p in backup.patches] == [5.0, 3.0]
    segments = backup.errorbar.lines[2][0].get_segments()
    assert [tuple(s[:, 1]) for s in segments][0] == (4.0, 6.0)


def test_an_unbounded_rpo_is_marked_lost_and_drawn_as_no_bar(tiny_frame):
    rpo_ax = plots.rpo_rto_bars(tiny_frame).axes[0]
    assert [t.get_text() for t in rpo_ax.texts] == ["lost"], "one cell lost data for good"
    mirror = next(c for c in rpo_ax.containers if c.get_label() == "mirror-sync:quick-check")
    assert mirror.patches[0].get_height() == 0 and rpo_ax.get_ylim()[1] < 100, "inf is no bar and no scale"


def test_plots_never_touch_pyplot(tiny_frame):
    plots.time_space(tiny_frame)
    assert "matplotlib.pyplot" not in matplotlib.sys.modules or not matplotlib.pyplot.get_fignums()


def _results_folder(path, rows, *, profile, data_size):
    """A results folder as compare writes it: results.csv and a run record naming the profile and data size."""
    import json

    import pandas as pd

    path.mkdir()
    pd.DataFrame(rows).to_csv(path / "results.csv", index=False)
    (path / "run.json").write_text(json.dumps({"profile": profile, "data_size_bytes": data_size, "seed": 1}))
    return path


@pytest.fixture
def sweep_folders(tmp_path, tiny_frame):
    """Three runs of backup and clone: 8 MiB and 24 MiB as shipped, 24 MiB at 4x the churn (one has bitrot too)."""
    base = tiny_frame.iloc[0].to_dict()  # an ok backup row on a deletion

    def rows(backup_footprint, clone_footprint, scenarios=("deletion",)):
        return [{**base, "strategy": s, "scenario": c, "footprint_bytes": f, "reserved_bytes": r,
                 "protect_s_median": t}
                for c in scenarios
                for s, f, r, t in (("backup", backup_footprint, backup_footprint, 0.5),
                                   ("clone", clone_footprint, 64 << 20, 2.0))]

    return [
        _results_folder(tmp_path / "small", rows(4 << 20, 10 << 20), profile="classroom", data_size=8 << 20),
        _results_folder(tmp_path / "default", rows(12 << 20, 30 << 20, ("deletion", "bitrot")),
                        profile="classroom", data_size=24 << 20),
        _results_folder(tmp_path / "churned", rows(20 << 20, 31 << 20),
                        profile="examples/sweep/classroom-churn-x4/classroom-churn-x4.yaml", data_size=24 << 20),
    ]


def test_sweep_frame_tags_rows_with_their_runs_size_and_churn(sweep_folders):
    from workbench.report import notebook_plots

    sweep = notebook_plots.sweep_frame([*sweep_folders, sweep_folders[0]])  # a folder given twice is read once
    assert len(sweep) == 6  # two strategies x three runs; bitrot, measured by one run only, left out
    assert set(sweep["scenario"]) == {"deletion"}
    tags = sweep.groupby("results_dir")[["data_size_bytes", "churn_factor", "base_profile"]].first()
    assert tags.loc[str(sweep_folders[0]), "data_size_bytes"] == 8 << 20
    assert tags.loc[str(sweep_folders[2]), "churn_factor"] == 4.0
    assert tags.loc[str(sweep_folders[1]), "churn_factor"] == 1.0
    assert set(tags["base_profile"]) == {"classroom"}
    assert notebook_plots.churn_size(sweep) == 24 << 20


def test_churn_sweep_draws_each_strategys_footprint_per_churn_in_its_colour(sweep_folders):
    from workbench.report import notebook_plots

    fig = notebook_plots.churn_sweep(notebook_plots.sweep_frame(sweep_folders))
    space_ax, time_ax = fig.axes[:2]
    solid = {to_hex(line.get_color()): list(zip(line.get_xdata(), line.get_ydata()))
             for line in space_ax.get_lines() if line.get_linestyle() == "-"}
    assert solid[colour_of("backup").lower()] == [(1.0, 12 << 20), (4.0, 20 << 20)]  # the 8 MiB run is not drawn
    assert solid[colour_of("clone").lower()] == [(1.0, 30 << 20), (4.0, 31 << 20)]
    times = {to_hex(line.get_color()): list(line.get_ydata()) for line in time_ax.get_lines()}
    assert times[colour_of("clone").lower()] == [2.0, 2.0]
    for ax in (space_ax, time_ax):
        assert UNIT.search(ax.get_ylabel()) and "(ratio" in ax.get_xlabel()
        assert [t.get_text() for t in ax.get_xticklabels()] == ["x1", "x4"]


def test_size_sweep_draws_only_the_runs_at_the_profiles_own_churn(sweep_folders):
    from workbench.report import notebook_plots

    fig = notebook_plots.size_sweep(notebook_plots.sweep_frame(sweep_folders))
    space_ax = fig.axes[0]
    solid = {to_hex(line.get_color()): list(zip(line.get_xdata(), line.get_ydata()))
             for line in space_ax.get_lines() if line.get_linestyle() == "-"}
    assert solid[colour_of("backup").lower()] == [(8 << 20, 4 << 20), (24 << 20, 12 << 20)]  # not the x4 run's 20 MiB
    assert UNIT.search(space_ax.get_ylabel()) and "(bytes" in space_ax.get_xlabel()
