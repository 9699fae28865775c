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
# Say which threats you fear and what you can live with; the recommendation under the form
# follows every change, from the results already measured (no disk is touched). Measuring
# your own workload is the box at the bottom: it needs root, and runs only when you press it.

# %% tags=["parameters"]
import os

results_dir = os.environ.get("WORKBENCH_RESULTS")  # a results folder; None: the shipped example (make explorer sets it)
profile = "classroom"  # the workload the Measure button measures: what the computer holds
data_size = "8M"  # how much data
change_factor = 1.0  # daily change rate, as a multiple of the profile's own churn
threats = ["deletion", "ransomware"]  # the scenarios you fear (see datasets/scenarios/)
max_rpo_hours = 24.0  # hours of changes you can lose (None: no limit)
max_rto_s = 120.0  # seconds you can wait for the data to come back
max_space_ratio = 4.0  # space the protection may take, as a multiple of the data
max_space_bytes = None  # or as a size in bytes
max_lost_share = 0.25  # share of what a threat destroys that may stay lost (files newer than the last point)
prefer = "space"  # among the options that fit, what comes first: space, recovery or restore-point
facts_path = None

# %%
# %matplotlib inline
import json
from pathlib import Path
from typing import Any

from workbench import lab

# %%
threats = threats.split(",") if isinstance(threats, str) else list(threats)  # papermill -p gives a string
results = lab.explorer_results(results_dir)  # reads; only the Measure button measures
needs = lab.Needs(threats=tuple(threats), max_rpo_hours=max_rpo_hours, max_rto_s=max_rto_s,
                  max_space_ratio=max_space_ratio, max_space_bytes=max_space_bytes, max_lost_share=max_lost_share,
                  prefer=prefer)
explorer = lab.Explorer(results, needs, profile=profile, data_size=data_size, change_factor=change_factor)
explorer.view()

# %% [markdown]
# ## How the explorer decides
#
# The rules are in `workbench/advice/recommend.py`'s docstring, in short:
#
# - a strategy **recovered** a threat when it came back clean (no ciphertext, no rot) and
#   lost at most a small share (`max_lost_share`) of what the threat destroys on an
#   unprotected disk (the `none` rows);
# - it **answers** the threat when its RPO and RTO are within your limits as well;
# - a **pair** answers a threat when either member does; its space is the sum of both;
# - the recommendation is the option that answers every feared threat within the space
#   budget with the fewest members, then what you put first (`prefer`: the least space,
#   the quickest recovery or the newest restore point).
#
# The form's table and map follow every change; the cells below show the recommendation as
# it stands when they run: in JupyterLab, run them again after changing the form.

# %% [markdown]
# ### The evidence: the measured rows behind the recommendation

# %%
advice = explorer.advice
advice.evidence

# %% [markdown]
# ### Every option, ranked (the form's map draws them)

# %%
advice.options.head(10)

# %%
chosen_rows = explorer.results.rows[explorer.results.rows["scenario"].isin(advice.outcomes["scenario"])]
lab.rpo_rto_bars(chosen_rows)

# %%
facts: dict[str, Any] = {
    "results_dir": str(explorer.results.folder), "note": explorer.results.note,
    "choice": list(advice.choice.members) if advice.choice else [],
    "meets_all_needs": advice.meets_all_needs,
    "answered": advice.choice.answered if advice.choice else {},
    "by_threat": advice.choice.by_threat if advice.choice else {},
    "outcomes": advice.outcomes.to_dict(orient="records"),
    "evidence": advice.evidence.to_dict(orient="records"),
    "max_lost_share": max_lost_share, "max_rpo_hours": max_rpo_hours, "max_rto_s": max_rto_s,
}

# %%
if facts_path:
    Path(facts_path).write_text(json.dumps(facts, indent=1, default=str))
facts
