# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Recovery under faults
#
# The strategy × fault matrix: each cell is one strategy protecting a fresh disk through
# one scenario's simulated days, struck by the fault, recovered the way a user of that
# strategy would, and judged byte for byte against the truth. The heatmap shows the share
# of the disk's bytes that came back intact; RPO and RTO sit beside it. Every cell can be
# traced to its rows in the results table and to its details file.

# %% tags=["parameters"]
results_dir = None  # a folder from 'workbench compare --out'; None: the shipped example, else a small run (root)
profile = "classroom"  # used only when a small run is needed
data_size = "8M"
trace = None  # (strategy, scenario) to trace; None: the first mirror cell, else the first cell
facts_path = None

# %%
# %matplotlib inline
import json
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown, display

from workbench import lab

run = lab.load_results(results_dir, profile=profile, data_size=data_size)
results, ok, folder = run.rows, run.ok, run.folder
display(Markdown(run.describe()))
facts: dict[str, Any] = {"results_dir": str(folder), "rows": len(results)}

# %% [markdown]
# ## Bytes recovered intact

# %%
lab.intact_heatmap(results)

# %%
grid = lab.cell_grid(results, "intact_fraction")
facts["intact_fraction"] = {f"{s}/{c}": float(v) for s, row in grid.iterrows() for c, v in row.items() if v == v}
grid.map(lambda v: f"{v:.1%}" if v == v else "–")  # the heatmap's numbers

# %% [markdown]
# ## RPO and RTO
#
# RPO: simulated hours of changes lost (back to the newest true state the restored files agree
# with). RTO: real seconds to get the data back.

# %%
lab.rpo_rto_bars(results)

# %% [markdown]
# ## Did the machine come back whole?
#
# Partition table, boot code, ESP, filesystem UUID and fsck, and whether any ciphertext or rot came back.

# %%
lab.health_heatmap(results)

# %% [markdown]
# ## Tracing one cell
#
# A cell of the heatmap is the median of its rows; here are those rows, and the details file that
# lists every file the judge did not find intact.

# %%
cells = ok[["strategy", "scenario"]].drop_duplicates()
if trace is None:
    mirrors = cells[cells["strategy"].str.startswith("mirror")]
    trace = tuple((mirrors if not mirrors.empty else cells).iloc[0])
strategy, scenario = trace

# %%
rows = results[(results["strategy"] == strategy) & (results["scenario"] == scenario)]
shown = ["strategy", "variant", "scenario", "repetition", "status", "files_intact", "files_missing",
         "files_corrupted", "files_stale", "bytes_intact", "bytes_lost", "bytes_stale", "came_back_clean",
         "rpo_hours", "rto_s"]
display(rows[shown])
judged = rows["bytes_intact"] + rows["bytes_lost"] + rows["bytes_stale"]
facts["trace"] = {"cell": f"{strategy}/{scenario}", "rows": len(rows),
                  "intact_fraction_from_rows": float((rows["bytes_intact"] / judged).median())}

# %%
details = run.details_files(strategy, scenario)
if details:
    cell = json.loads(details[0].read_text())
    verdicts = pd.DataFrame(cell["verdicts"])
    facts["trace"]["details_file"] = details[0].name
    facts["trace"]["not_intact"] = len(verdicts)
    display(Markdown(f"`{details[0].name}`: recovery `{cell['recovery'].get('level')}` from point "
                     f"`{cell['recovery'].get('point')}`; {len(verdicts)} entries not intact, by category:"))
    display(verdicts.groupby("category").agg(entries=("path", "size"), bytes=("bytes", "sum")))
    display(verdicts.head(10))

# %% [markdown]
# ## Takeaways
#
# What these rows say, in the report's own words: each sentence is computed from the table
# above (change the results, and the sentences change), with the cells it rests on.

# %%
found = lab.findings(results)
for sentence in found.sentences:
    where = ", ".join(f"{label} × {scenario}" for label, scenario in sentence.cells[:6])
    more = f" (and {len(sentence.cells) - 6} more)" if len(sentence.cells) > 6 else ""
    display(Markdown(f"- **{sentence.title}.** {sentence.text}" + (f" *Cells: {where}{more}.*" if where else "")))
facts["takeaways"] = [sentence.key for sentence in found.sentences]

# %%
if facts_path:
    Path(facts_path).write_text(json.dumps(facts, indent=1, default=str))
facts
