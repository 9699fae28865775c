# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Checking the article
#
# This project started from a web article asking whether a mirror image is the same thing
# as a backup. It makes claims about images, clones, mirrors, RAID 1 and backups. Here
# each claim the workbench can test is tested on measured results, and gets a verdict:
#
# - **holds**: every comparison behind it went the way the claim says;
# - **partly**: some did, some did not;
# - **does not hold**: none did;
# - **cannot test with these results**: the rows it needs are missing (run more strategies or scenarios);
# - **cannot test here**: not something the workbench measures (the reason is given).
#
# The claims are restated in our own words in `datasets/claims.yaml`, each with the
# comparisons that test it; the rules are in `workbench/advice/claims.py`.

# %% tags=["parameters"]
results_dir = None  # a folder from 'workbench compare --out'; None: the shipped example, else a small run (root)
profile = "classroom"  # used only when a small run is needed
data_size = "8M"
claims_file = None  # None: the shipped datasets/claims.yaml
facts_path = None

# %%
# %matplotlib inline
import json
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from workbench import lab

run = lab.load_results(results_dir, profile=profile, data_size=data_size)
results, ok, folder = run.rows, run.ok, run.folder
display(Markdown(run.describe()))
facts = {"results_dir": str(folder), "rows": len(results)}
claims = lab.load_claims(claims_file)

# %% [markdown]
# ## The verdicts

# %%
verdicts = lab.judge_claims(results, claims)
pd.set_option("display.max_colwidth", None)
verdicts[["id", "claim", "verdict", "passed", "evaluated"]]

# %% [markdown]
# ## The comparisons behind them
#
# Each row is one comparison on measured numbers: the claim's check, the strategy and scenario, the
# two values and whether it went the claim's way.

# %%
comparisons = lab.check_claims(results, claims)
comparisons[comparisons["passed"].notna()][["claim", "says", "strategy", "scenario", "left", "op", "right",
                                             "passed"]]

# %% [markdown]
# ## In plain words

# %%
for row in verdicts.itertuples():
    display(Markdown(f"**{row.claim}** — *{row.verdict}*. {row.evidence}"))

# %%
facts["verdicts"] = verdicts[["id", "verdict", "passed", "evaluated"]].to_dict(orient="records")
facts["comparisons"] = comparisons.astype(object).where(comparisons.notna(), None).to_dict(orient="records")
facts["strategies"] = sorted(results["strategy"].unique())

# %%
if facts_path:
    Path(facts_path).write_text(json.dumps(facts, indent=1, default=str))
facts
