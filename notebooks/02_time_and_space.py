# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Time and space
#
# What does each strategy cost? Three measures, from a real comparison run
# (`workbench compare`), for every strategy:
#
# - **protect time**: real seconds one protect run takes;
# - **footprint**: bytes the copies take on the target, against the **capacity reserved**
#   (a clone ties up a whole disk however little it holds);
# - **space amplification**: footprint divided by the data it protects (1.0 = one plain copy).
#
# Then the same over the simulated days of each run: how each protect run costs and how
# the target grows, run after run; and across runs at other data sizes and daily churn rates.

# %% tags=["parameters"]
results_dir = None  # a folder from 'workbench compare --out'; None: the shipped example, else a small run (root)
sweep_dirs = None  # more results folders (other data sizes, churn); None: the shipped sets in examples/; [] for none
profile = "classroom"  # used only when a small run is needed
data_size = "8M"
tools_dir = None  # a results folder comparing engines of one family (compare --strategies 'backup/*'); None: this run
facts_path = None

# %%
# %matplotlib inline
import json
from pathlib import Path

from IPython.display import Markdown, display

from workbench import lab

run = lab.load_results(results_dir, profile=profile, data_size=data_size)
results, ok, folder = run.rows, run.ok, run.folder
display(Markdown(run.describe()))
facts = {"results_dir": str(folder), "rows": len(results)}

# %% [markdown]
# ## Time, footprint and amplification per strategy
#
# Bars are medians over every scenario of the run; whiskers span min to max.

# %%
lab.time_space(results)

# %%
per_strategy = ok.groupby("strategy").agg(protect_s_median=("protect_s_median", "median"),
                                           footprint_bytes=("footprint_bytes", "median"),
                                           reserved_bytes=("reserved_bytes", "median"),
                                           space_amplification=("space_amplification", "median"))
facts["per_strategy"] = per_strategy.to_dict(orient="index")
per_strategy.assign(footprint_bytes=per_strategy["footprint_bytes"].map(lab.format_bytes),
                    reserved_bytes=per_strategy["reserved_bytes"].map(lab.format_bytes)).round(2)

# %% [markdown]
# ## Over the simulated days
#
# Every protect run of every cell, from the run's `cells/*.json`. The dashed lines are the capacity
# each strategy reserves: compare a clone's whole reserved disk with the image's increments.

# %%
runs = lab.protect_runs(folder)
reserved = ok.groupby("strategy")["reserved_bytes"].median().to_dict()
facts["protect_runs"] = runs.groupby("strategy").size().to_dict()
if runs.empty:
    display(Markdown("This results folder keeps no `cells/` details (the shipped example keeps only the tables): "
                     "run `workbench compare --out DIR` and pass `results_dir=DIR` to see each run."))
else:
    display(lab.growth_over_days(runs, reserved))
    growth = runs.groupby(["strategy", "kind"]).agg(runs=("seconds", "size"), median_s=("seconds", "median"),
                                                    median_stored=("stored_bytes", "median"))
    display(growth.assign(median_stored=growth["median_stored"].map(lab.format_bytes)).round(2))

# %% [markdown]
# ## Across data sizes and churn
#
# Each results folder is one data size and one daily churn: the profile's change rates as
# shipped (x1) or scaled (a profile written by `workbench.advice.explore.scaled_profile`,
# named `...-churn-xN`). By default the sweep reads, besides this run, the shipped sets
# (`examples/classroom` and `examples/sweep/*`, made by `make example-results`: three data
# sizes and two churn rates); give `sweep_dirs` to use your own. Only the scenarios every
# folder measured are compared, so a line moves with the size or the churn alone.

# %%
extra = lab.shipped_sweep_dirs() if sweep_dirs is None else sweep_dirs
extra = extra.split(",") if isinstance(extra, str) else extra  # papermill -p gives a string
sweep = lab.sweep_frame([folder, *(str(d).strip() for d in extra if str(d).strip())])
facts["sweep_sets"] = sweep.groupby("results_dir")[["data_size_bytes", "churn_factor"]].first().to_dict(orient="index")
facts["sweep_sizes"] = sorted(int(s) for s in sweep["data_size_bytes"].unique())
facts["sweep_churn_factors"] = sorted(float(f) for f in sweep["churn_factor"].unique())
facts["sweep_scenarios"] = sorted(sweep["scenario"].unique())
lab.size_sweep(sweep)

# %% [markdown]
# The same strategies against the daily churn, at one data size. More churn means more files created
# and rewritten each day: the data itself grows, and so does every copy that follows it, while an
# image or a backup also keeps what was overwritten. A clone refreshed weekly holds its last copy,
# and its reserved disk (dashed) does not move. The table gives each strategy's median footprint per
# churn.

# %%
at_size = sweep[sweep["data_size_bytes"] == lab.churn_size(sweep)]
by_churn = at_size[at_size["status"] == "ok"].groupby(["strategy", "churn_factor"])["footprint_bytes"].median()
facts["churn_footprint"] = {s: {f"x{f:g}": int(v) for f, v in row.items() if v == v}
                           for s, row in by_churn.unstack().iterrows()}
display(lab.churn_sweep(sweep))
by_churn.unstack().rename(columns=lambda f: f"footprint at x{f:g}").map(
    lambda v: lab.format_bytes(v) if v == v else "–")

# %%
medians = per_strategy.to_dict(orient="index")  # strategy -> its medians
clone, image = medians.get("clone"), medians.get("image")
if clone is not None and image is not None:
    facts["clone_reserved_over_image_footprint"] = float(clone["reserved_bytes"] / image["footprint_bytes"])
    display(Markdown(f"A clone ties up **{lab.format_bytes(clone['reserved_bytes'])}** (a whole disk); the image "
                     f"of the same disk takes **{lab.format_bytes(image['footprint_bytes'])}** with all its points: "
                     f"{facts['clone_reserved_over_image_footprint']:.1f}x less."))

# %% [markdown]
# ## Which tool
#
# A family's engines (ours and the real tools: restic, borg, rsnapshot for backups; rsync, unison for
# mirrors) run on the same schedule and keep the same retention, so their costs and outcomes compare
# directly: one protect run, the recovery (RTO), the footprint, and what came back under each fault.
# `damage_detected` says whether the engine's own verify noticed damage in its target.

# %%
tools_run = lab.load_results(tools_dir) if tools_dir else run
tools = lab.which_tool(tools_run.rows)
facts["which_tool_engines"] = sorted(tools["label"].unique())
if tools.empty:
    display(Markdown("These results measure one engine per family. Compare engines with, for example, "
                     "`workbench compare --strategies 'backup/*,mirror-sync/*' --out DIR` and pass `tools_dir=DIR`."))
else:
    display(lab.intact_heatmap(lab.which_tool_rows(tools_run.rows)))
    display(tools.assign(footprint_bytes=tools["footprint_bytes"].map(lab.format_bytes)).round(2))

# %%
if facts_path:
    Path(facts_path).write_text(json.dumps(facts, indent=1, default=str))
facts
