# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Which strategy? The explorer
#
# Describe your computer and what you can live with; the explorer measures the strategies
# against the threats you fear and recommends one strategy, or a pair of them, backed by
# the measured rows. The rules it applies are in `workbench/advice/recommend.py`'s
# docstring, in short:
#
# - a strategy **recovered** a threat when it came back clean (no ciphertext, no rot) and
#   lost at most a small share (`max_lost_share`) of what the threat destroys on an
#   unprotected disk (the `none` rows);
# - it **answers** the threat when its RPO and RTO are within your limits as well;
# - a **pair** answers a threat when either member does; its space is the sum of both;
# - the recommendation is the option that answers every feared threat within the space
#   budget with the fewest members, then the least space.
#
# Set the parameters below (or use the form further down, which reruns the advice).
# With `results_dir` set, the explorer reads those results; without it, it runs a small
# comparison for your threats as root (a few minutes), and without root it shows the shipped
# example results (`examples/classroom`) and says so.

# %% tags=["parameters"]
results_dir = None  # a results folder to read; None: measure now as root, else the shipped example
profile = "classroom"  # workload profile: what the computer holds
data_size = "8M"  # how much data
change_factor = 1.0  # daily change rate, as a multiple of the profile's own churn
threats = ["deletion", "ransomware"]  # the scenarios you fear (see datasets/scenarios/)
max_rpo_hours = 24.0  # hours of changes you can lose
max_rto_s = 120.0  # seconds you can wait for the data to come back
max_space_ratio = 4.0  # space the protection may take, as a multiple of the data
max_lost_share = 0.25  # share of what a threat destroys that may stay lost (files newer than the last point)
facts_path = None

# %%
# %matplotlib inline
import json
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd
from IPython.display import Markdown, display

from workbench import lab

facts: dict[str, Any] = {}

# %%
def measured_results(profile: str, data_size: str, change_factor: float, threats: list[str]) -> pd.DataFrame:
    """The given results folder; as root, a small comparison on the feared threats; else the shipped example."""
    run = lab.explorer_results(results_dir, profile=profile, data_size=data_size, change_factor=change_factor,
                               threats=threats)
    if run.note:
        print(run.note)
    facts.update(results_dir=str(run.folder), note=run.note)
    return run.rows


# %%
def advise(results: pd.DataFrame, needs: lab.Needs) -> lab.Recommendation:
    advice = lab.recommend(results, needs)
    verdict = "meets every need" if advice.meets_all_needs else "comes closest (no option meets every need)"
    name = advice.choice.name if advice.choice else "nothing"
    display(Markdown(f"### Recommendation: **{name}** — {verdict}\n\n" +
                     "\n".join(f"- {reason}" for reason in advice.reasons + advice.notes)))
    return advice


# %% [markdown]
# ## Measure, then advise

# %%
threats = threats.split(",") if isinstance(threats, str) else list(threats)  # papermill -p gives a string
results = measured_results(profile, data_size, change_factor, threats)
needs = lab.Needs(threats=tuple(threats), max_rpo_hours=max_rpo_hours, max_rto_s=max_rto_s,
                  max_space_ratio=max_space_ratio, max_lost_share=max_lost_share)
advice = advise(results, needs)

# %% [markdown]
# ### The evidence: the measured rows behind the recommendation

# %%
advice.evidence

# %% [markdown]
# ### Every strategy against every feared threat, and why

# %%
advice.outcomes[["strategy", "scenario", "recovered", "answered", "bytes_lost", "damage_bytes", "rpo_hours",
                 "rto_s", "space_bytes", "why"]]

# %%
display(advice.options.head(10))
lab.options_map(advice.options, advice.choice.name if advice.choice else None)

# %%
chosen_rows = results[results["scenario"].isin(threats)]
lab.rpo_rto_bars(chosen_rows)

# %% [markdown]
# ## Try other needs
#
# Change the form and press **Advise**. With a results folder given (or without root, the shipped
# example), only the limits and threats it measured apply; without one, as root, a new comparison
# runs when the workload changes.

# %%
form = {
    "profile": widgets.Dropdown(options=lab.known_profiles(), value=profile, description="profile"),
    "data_size": widgets.Text(value=data_size, description="data size"),
    "change_factor": widgets.FloatSlider(value=change_factor, min=0.25, max=4, step=0.25, description="churn x"),
    "threats": widgets.SelectMultiple(options=lab.known_scenarios(), value=tuple(threats), description="threats"),
    "max_rpo_hours": widgets.FloatText(value=max_rpo_hours, description="RPO (h)"),
    "max_rto_s": widgets.FloatText(value=max_rto_s, description="RTO (s)"),
    "max_space_ratio": widgets.FloatText(value=max_space_ratio, description="space (x data)"),
}
button, output = widgets.Button(description="Advise", button_style="primary"), widgets.Output()

# %%
def on_advise(_: object) -> None:
    with output:
        output.clear_output()
        values = {name: widget.value for name, widget in form.items()}
        chosen = list(values["threats"])
        measured = measured_results(values["profile"], values["data_size"], values["change_factor"], chosen)
        advise(measured, lab.Needs(threats=tuple(chosen), max_rpo_hours=values["max_rpo_hours"],
                                   max_rto_s=values["max_rto_s"], max_space_ratio=values["max_space_ratio"],
                                   max_lost_share=max_lost_share))


button.on_click(on_advise)
widgets.VBox([*form.values(), button, output])

# %%
facts.update({
    "choice": list(advice.choice.members) if advice.choice else [],
    "meets_all_needs": advice.meets_all_needs,
    "answered": advice.choice.answered if advice.choice else {},
    "by_threat": advice.choice.by_threat if advice.choice else {},
    "outcomes": advice.outcomes.to_dict(orient="records"),
    "evidence": advice.evidence.to_dict(orient="records"),
    "max_lost_share": max_lost_share, "max_rpo_hours": max_rpo_hours, "max_rto_s": max_rto_s,
})

# %%
if facts_path:
    Path(facts_path).write_text(json.dumps(facts, indent=1, default=str))
facts
