"""Write the notebooks in this folder from the cell sources below: the way to edit them.

Why a generator: notebook JSON is hard to review and easy to commit with
outputs. Here every cell is plain Python text that diffs well, each notebook's
first code cell is tagged ``parameters`` (papermill), and the files are always
written without outputs. ``tests/notebooks/test_notebooks.py`` checks that the
committed ``.ipynb`` files equal what this script writes, so edit here and run:

    .venv/bin/python notebooks/build_notebooks.py

Exploring in JupyterLab is fine; carry the changes you keep back into this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

# Lines every notebook ends with: its key facts, as data, for the tests (and for the curious).
SAVE_FACTS = '''\
if facts_path:
    Path(facts_path).write_text(json.dumps(facts, indent=1, default=str))
facts'''

# Notebooks that read a results folder start the same way.
LOAD_RESULTS = '''\
%matplotlib inline
import json
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from workbench.advice.explore import results_folder
from workbench.results.store import load_results
from workbench.units import parse_size

folder = results_folder(results_dir, profile=profile, data_size=parse_size(data_size) if data_size else None)
results, run_record = load_results(folder)
ok = results[results["status"] == "ok"]
display(Markdown(f"Results from **{folder}**: {len(results)} rows ({len(ok)} ok), profile "
                 f"`{run_record.get('profile', '?')}`, workbench {run_record.get('versions', {}).get('workbench', '?')}, "
                 f"run {run_record.get('started', '?')}."))
facts = {"results_dir": str(folder), "rows": len(results)}'''


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(text.strip("\n"))


def parameters(text: str) -> nbformat.NotebookNode:
    cell = code(text)
    cell.metadata["tags"] = ["parameters"]
    return cell


def tour() -> list:
    return [
        md("""
# 01 · A tour of the workbench

Four ways to protect a computer, tried once each on a real (small) disk:

| strategy | what it copies | what it keeps |
|---|---|---|
| **image** | the whole disk, compressed, block by block | every point in time it took |
| **backup** | the users' files, deduplicated and compressed | every snapshot |
| **clone** | the whole disk, byte for byte, onto another disk | one copy, usable as it is |
| **mirror** | the users' files, as a plain folder kept in step | only *now* |

Then we break the disk (its partition table is wiped, so nothing can be found on it),
bring it back from the image, and let the judge compare every file with what was there.
Everything here is real: loop devices, filesystems, bytes. It needs root and takes about a minute.
"""),
        parameters('''
workspace_dir = "/tmp/workbench-tour"  # WORKBENCH_HOME for this notebook: everything it makes stays in here
profile = "classroom"  # a workload profile from datasets/
data_size = "16M"  # how much data the profile generates
disk_size = "128M"
seed = 1
facts_path = None  # where to write this notebook's key facts as JSON (the tests read them)
'''),
        code('''
import json
import os
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ["WORKBENCH_HOME"] = workspace_dir  # before the workbench reads it
import pandas as pd
from IPython.display import Markdown, display

from workbench import workspace
from workbench.disk import health
from workbench.disk.create import create_disk
from workbench.disk.mounting import mounted
from workbench.errors import WorkbenchError
from workbench.faults.table import wipe_table
from workbench.strategies.backup.engine import BackupStrategy
from workbench.strategies.backup.snapshot import Selection
from workbench.strategies.clone import CloneStrategy
from workbench.strategies.image.engine import ImageStrategy
from workbench.strategies.mirror.strategies import MirrorSync
from workbench.truth.judge import compare
from workbench.truth.manifest import take_manifest
from workbench.units import format_bytes, parse_size
from workbench.workload.generate import build
from workbench.workload.profile import load_profile

tour = workspace.home() / "tour"
shutil.rmtree(tour, ignore_errors=True)  # a fresh start inside the notebook's own workspace
tour.mkdir(parents=True)
facts = {}
'''),
        md("## 1. A small PC\n\nA disk image with a GPT, an EFI System Partition and an ext4 root, like a real laptop's disk."),
        code('''
disk = create_disk(tour / "pc.img", "system", parse_size(disk_size))
healthy = health.check(disk)
facts["health_new"] = healthy.ok
pd.Series(healthy.to_json()).to_frame("new disk")
'''),
        md("Fill it with the profile's files: an operating-system part and two students' homes, with every awkward kind of file (hard links, symlinks, sparse files, long names, extended attributes)."),
        code('''
with mounted(disk) as root:
    made = build(load_profile(profile), root, data_size=parse_size(data_size), seed=seed)
    before = take_manifest(root)
files = [e for e in before.entries.values() if e.kind == "file"]
facts["files"] = len(files)
display(Markdown(f"{made.files} files generated; the disk now holds {len(files)} files, "
                 f"{format_bytes(sum(e.size for e in files))}."))
pd.Series({top: sum(1 for e in files if e.path.split("/")[0] == top)
           for top in sorted({e.path.split("/")[0] for e in files})}, name="files").to_frame()
'''),
        md("## 2. Protect it four ways\n\nImage and clone read the unmounted disk; backup and mirror read the mounted files (here the users' `home`)."),
        code('''
now = datetime(2026, 1, 5, 18, 0, tzinfo=timezone.utc)
image, backup, clone, mirror = ImageStrategy(), BackupStrategy(selection=Selection(folders=("home",))), \\
    CloneStrategy(), MirrorSync()
targets = {"image": tour / "image", "backup": tour / "backup", "clone": tour / "clone.img", "mirror": tour / "mirror"}
runs = []


def protect(name, strategy, source):
    started = time.perf_counter()
    point = strategy.protect(source, targets[name], now=now)
    runs.append({"strategy": name, "covers": strategy.scope, "seconds": round(time.perf_counter() - started, 2),
                 "footprint": strategy.footprint(targets[name]), "restore point": point.id})


protect("image", image, disk)
protect("clone", clone, disk)
with mounted(disk) as root:
    protect("backup", backup, root)
    protect("mirror", mirror, root / "home")
table = pd.DataFrame(runs).set_index("strategy")
facts["protected"] = table["footprint"].to_dict()
table.assign(footprint=table["footprint"].map(format_bytes))
'''),
        md("The clone is a whole disk (sparse here, so only its used blocks take room); the image is that disk compressed; backup and mirror hold only the homes."),
        md("## 3. Break it\n\nWipe the partition table: both GPT copies and the protective MBR. The files are all still there on the platter, but nothing can find them."),
        code('''
record = wipe_table(disk)
broken = health.check(disk)
facts["health_broken"] = broken.ok
try:
    with mounted(disk) as root:
        pass
    facts["mount_after_wipe"] = "mounted"
except WorkbenchError as error:
    facts["mount_after_wipe"] = str(error)
display(Markdown(f"Wiped {sum(r.length for r in record.ranges)} bytes. Mounting now says: *{facts['mount_after_wipe']}*"))
pd.Series(broken.to_json()).to_frame("after the wipe")
'''),
        md("## 4. Bring it back from the image\n\nRestore the image's newest point over the broken disk, then ask the health check and the judge."),
        code('''
started = time.perf_counter()
report = image.restore(targets["image"], image.points(targets["image"])[-1].id, disk, force=True)
facts["restore_s"] = round(time.perf_counter() - started, 2)
restored = health.check(disk)
facts["health_restored"] = restored.ok
with mounted(disk, readonly=True) as root:
    verdict = compare(before, root)
facts["judge"] = verdict.counts()
display(Markdown(f"Restored {format_bytes(report.bytes_written)} in {facts['restore_s']} s. "
                 f"Healthy again: **{restored.ok}**."))
pd.Series(verdict.counts(), name="files and folders").to_frame()
'''),
        md("""
The judge compares every file's content hash, owner, mode, times, links and extended
attributes with the manifest taken before anything happened: `intact` is the only
category that should be non-zero. The other strategies could have helped too, each in
its own way: the clone can simply be used as the disk, while the backup and the mirror
bring back the homes onto a freshly installed system.

**Next:** `02_time_and_space` (what each costs), `03_recovery_under_faults` (what each
survives), `04_mirror_is_not_a_backup` (the lesson), `05_which_strategy` (the explorer).
"""),
        code(SAVE_FACTS),
    ]


def time_and_space() -> list:
    return [
        md("""
# 02 · Time and space

What does each strategy cost? Three measures, from a real comparison run
(`workbench compare`), for every strategy:

- **protect time**: real seconds one protect run takes;
- **footprint**: bytes the copies take on the target, against the **capacity reserved**
  (a clone ties up a whole disk however little it holds);
- **space amplification**: footprint divided by the data it protects (1.0 = one plain copy).

Then the same over the simulated days of each run: how each protect run costs and how
the target grows, run after run; and across runs at other data sizes and daily churn rates.
"""),
        parameters('''
results_dir = None  # a folder from 'workbench compare --out'; None: the shipped example, else a small run (root)
sweep_dirs = None  # more results folders (other data sizes, churn); None: the shipped sets in examples/; [] for none
profile = "classroom"  # used only when a small run is needed
data_size = "8M"
facts_path = None
'''),
        code(LOAD_RESULTS + '''
from workbench.report import notebook_plots, plots
from workbench.units import format_bytes
'''),
        md("## Time, footprint and amplification per strategy\n\nBars are medians over every scenario of the run; whiskers span min to max."),
        code('''
plots.time_space(results)
'''),
        code('''
per_strategy = ok.groupby("strategy").agg(protect_s_median=("protect_s_median", "median"),
                                           footprint_bytes=("footprint_bytes", "median"),
                                           reserved_bytes=("reserved_bytes", "median"),
                                           space_amplification=("space_amplification", "median"))
facts["per_strategy"] = per_strategy.to_dict(orient="index")
per_strategy.assign(footprint_bytes=per_strategy["footprint_bytes"].map(format_bytes),
                    reserved_bytes=per_strategy["reserved_bytes"].map(format_bytes)).round(2)
'''),
        md("## Over the simulated days\n\nEvery protect run of every cell, from the run's `cells/*.json`. The dashed lines are the capacity each strategy reserves: compare a clone's whole reserved disk with the image's increments."),
        code('''
runs = notebook_plots.protect_runs(folder)
reserved = ok.groupby("strategy")["reserved_bytes"].median().to_dict()
facts["protect_runs"] = runs.groupby("strategy").size().to_dict()
if runs.empty:
    display(Markdown("This results folder keeps no `cells/` details (the shipped example keeps only the tables): "
                     "run `workbench compare --out DIR` and pass `results_dir=DIR` to see each run."))
else:
    display(notebook_plots.growth_over_days(runs, reserved))
    growth = runs.groupby(["strategy", "kind"]).agg(runs=("seconds", "size"), median_s=("seconds", "median"),
                                                    median_stored=("stored_bytes", "median"))
    display(growth.assign(median_stored=growth["median_stored"].map(format_bytes)).round(2))
'''),
        md("""
## Across data sizes and churn

Each results folder is one data size and one daily churn: the profile's change rates as
shipped (x1) or scaled (a profile written by `workbench.advice.explore.scaled_profile`,
named `...-churn-xN`). By default the sweep reads, besides this run, the shipped sets
(`examples/classroom` and `examples/sweep/*`, made by `make example-results`: three data
sizes and two churn rates); give `sweep_dirs` to use your own. Only the scenarios every
folder measured are compared, so a line moves with the size or the churn alone.
"""),
        code('''
extra = notebook_plots.shipped_sweep_dirs() if sweep_dirs is None else sweep_dirs
extra = extra.split(",") if isinstance(extra, str) else extra  # papermill -p gives a string
sweep = notebook_plots.sweep_frame([folder, *(str(d).strip() for d in extra if str(d).strip())])
facts["sweep_sets"] = sweep.groupby("results_dir")[["data_size_bytes", "churn_factor"]].first().to_dict(orient="index")
facts["sweep_sizes"] = sorted(int(s) for s in sweep["data_size_bytes"].unique())
facts["sweep_churn_factors"] = sorted(float(f) for f in sweep["churn_factor"].unique())
facts["sweep_scenarios"] = sorted(sweep["scenario"].unique())
notebook_plots.size_sweep(sweep)
'''),
        md("The same strategies against the daily churn, at one data size. More churn means more files created "
           "and rewritten each day: the data itself grows, and so does every copy that follows it, while an image "
           "or a backup also keeps what was overwritten. A clone refreshed weekly holds its last copy, and its "
           "reserved disk (dashed) does not move. The table gives each strategy's median footprint per churn."),
        code('''
at_size = sweep[sweep["data_size_bytes"] == notebook_plots.churn_size(sweep)]
by_churn = at_size[at_size["status"] == "ok"].groupby(["strategy", "churn_factor"])["footprint_bytes"].median()
facts["churn_footprint"] = {s: {f"x{f:g}": int(v) for f, v in row.items() if v == v}
                           for s, row in by_churn.unstack().iterrows()}
display(notebook_plots.churn_sweep(sweep))
by_churn.unstack().rename(columns=lambda f: f"footprint at x{f:g}").map(lambda v: format_bytes(v) if v == v else "–")
'''),
        code('''
clone = per_strategy.loc["clone"] if "clone" in per_strategy.index else None
image = per_strategy.loc["image"] if "image" in per_strategy.index else None
if clone is not None and image is not None:
    facts["clone_reserved_over_image_footprint"] = float(clone["reserved_bytes"] / image["footprint_bytes"])
    display(Markdown(f"A clone ties up **{format_bytes(clone['reserved_bytes'])}** (a whole disk); the image "
                     f"of the same disk takes **{format_bytes(image['footprint_bytes'])}** with all its points: "
                     f"{facts['clone_reserved_over_image_footprint']:.1f}x less."))
'''),
        code(SAVE_FACTS),
    ]


def recovery_under_faults() -> list:
    return [
        md("""
# 03 · Recovery under faults

The strategy × fault matrix: each cell is one strategy protecting a fresh disk through
one scenario's simulated days, struck by the fault, recovered the way a user of that
strategy would, and judged byte for byte against the truth. The heatmap shows the share
of the disk's bytes that came back intact; RPO and RTO sit beside it. Every cell can be
traced to its rows in the results table and to its details file.
"""),
        parameters('''
results_dir = None  # a folder from 'workbench compare --out'; None: the shipped example, else a small run (root)
profile = "classroom"  # used only when a small run is needed
data_size = "8M"
trace = None  # (strategy, scenario) to trace; None: the first mirror cell, else the first cell
facts_path = None
'''),
        code(LOAD_RESULTS + '''
from workbench.report import plots, tables
'''),
        md("## Bytes recovered intact"),
        code('''
plots.intact_heatmap(results)
'''),
        code('''
summary = tables.summary(results)
grid = tables.pivot(summary, "intact_fraction")
facts["intact_fraction"] = {f"{s}/{c}": float(v) for s, row in grid.iterrows() for c, v in row.items() if v == v}
grid.map(lambda v: f"{v:.1%}" if v == v else "–")  # the heatmap's numbers
'''),
        md("## RPO and RTO\n\nRPO: simulated hours of changes lost (back to the newest true state the restored files agree with). RTO: real seconds to get the data back."),
        code('''
plots.rpo_rto_bars(results)
'''),
        md("## Did the machine come back whole?\n\nPartition table, boot code, ESP, filesystem UUID and fsck, and whether any ciphertext or rot came back."),
        code('''
plots.health_heatmap(results)
'''),
        md("## Tracing one cell\n\nA cell of the heatmap is the median of its rows; here are those rows, and the details file that lists every file the judge did not find intact."),
        code('''
cells = ok[["strategy", "scenario"]].drop_duplicates()
if trace is None:
    mirrors = cells[cells["strategy"].str.startswith("mirror")]
    trace = tuple((mirrors if not mirrors.empty else cells).iloc[0])
strategy, scenario = trace
rows = results[(results["strategy"] == strategy) & (results["scenario"] == scenario)]
shown = ["strategy", "variant", "scenario", "repetition", "status", "files_intact", "files_missing",
         "files_corrupted", "files_stale", "bytes_intact", "bytes_lost", "bytes_stale", "came_back_clean",
         "rpo_hours", "rto_s"]
display(rows[shown])
judged = rows["bytes_intact"] + rows["bytes_lost"] + rows["bytes_stale"]
facts["trace"] = {"cell": f"{strategy}/{scenario}", "rows": len(rows),
                  "intact_fraction_from_rows": float((rows["bytes_intact"] / judged).median())}
'''),
        code('''
details = sorted(Path(folder, "cells").glob(f"{strategy}*__{scenario}__r*.json"))
if details:
    cell = json.loads(details[0].read_text())
    verdicts = pd.DataFrame(cell["verdicts"])
    facts["trace"]["details_file"] = details[0].name
    facts["trace"]["not_intact"] = len(verdicts)
    display(Markdown(f"`{details[0].name}`: recovery `{cell['recovery'].get('level')}` from point "
                     f"`{cell['recovery'].get('point')}`; {len(verdicts)} entries not intact, by category:"))
    display(verdicts.groupby("category").agg(entries=("path", "size"), bytes=("bytes", "sum")))
    display(verdicts.head(10))
'''),
        code(SAVE_FACTS),
    ]


def mirror_is_not_a_backup() -> list:
    return [
        md("""
# 04 · A mirror is not a backup

*A classroom lesson.* A student's computer is protected four ways at once:

1. a **mirror**: the homes copied to another folder every night, kept exactly in step;
2. a **RAID 1**: two disks holding the same bytes (btrfs raid1 over two loop disks);
3. a **clone**: the whole disk copied onto a spare disk, refreshed every night;
4. a **versioned backup**: a snapshot every night, and the old snapshots are kept.

Then things go wrong, the way they do: on day 1 a folder is deleted by mistake and
ransomware starts encrypting files, a few at a time; on day 2 it encrypts more. Nobody
notices until day 3. What does each copy hold by then?

Everything below is real: real disks, real AES encryption, real copies. Needs root; about a minute.
"""),
        parameters('''
workspace_dir = "/tmp/workbench-lesson"  # WORKBENCH_HOME for this notebook: everything it makes stays in here
profile = "classroom"
data_size = "8M"
disk_size = "128M"
seed = 1
ransom_fraction = 0.4  # of the homes' files, over the two days
facts_path = None
'''),
        code('''
%matplotlib inline
import json
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ["WORKBENCH_HOME"] = workspace_dir  # before the workbench reads it
import pandas as pd
from IPython.display import Markdown, display

from workbench import workspace
from workbench.disk.create import create_disk
from workbench.disk.mounting import mounted
from workbench.faults import ransomware
from workbench.faults.files import delete_folder
from workbench.report.notebook_plots import holdings
from workbench.strategies.backup.engine import BackupStrategy
from workbench.strategies.backup.snapshot import Selection
from workbench.strategies.clone import CloneStrategy
from workbench.strategies.mirror import raid1
from workbench.strategies.mirror.record import LEFT_OUT
from workbench.strategies.mirror.strategies import MirrorSync, Raid1Strategy
from workbench.truth.judge import compare
from workbench.truth.manifest import take_manifest
from workbench.units import format_bytes, parse_size
from workbench.workload.generate import build
from workbench.workload.profile import load_profile

lesson = workspace.home() / "lesson"
shutil.rmtree(lesson, ignore_errors=True)
lesson.mkdir(parents=True)
monday = datetime(2026, 1, 5, tzinfo=timezone.utc)
facts = {}


def hexdump(data: bytes, width: int = 16) -> str:
    """Bytes as offset, hex and printable text, like `xxd`."""
    lines = []
    for start in range(0, len(data), width):
        chunk = data[start:start + width]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{start:08x}  {chunk.hex(' '):<{width * 3}} {text}")
    return "\\n".join(lines)
'''),
        md("## Day 0: a healthy computer, protected four ways"),
        code('''
disk = create_disk(lesson / "pc.img", "system", parse_size(disk_size))
with mounted(disk) as root:
    build(load_profile(profile), root, data_size=parse_size(data_size), seed=seed)
    truth = take_manifest(root / "home")  # what the students had, file by file, before anything happened
user_files = [e for e in truth.entries.values() if e.kind == "file"]
display(Markdown(f"The homes hold {len(user_files)} files ({format_bytes(sum(e.size for e in user_files))})."))

copies = {"mirror": lesson / "mirror", "raid1": lesson / "raid1", "clone": lesson / "clone.img",
          "backup": lesson / "backup"}
engines = {"mirror": MirrorSync(), "raid1": Raid1Strategy(half_bytes=raid1.MIN_SIZE), "clone": CloneStrategy(),
           "backup": BackupStrategy(selection=Selection(folders=("home",)))}


def nightly(now):
    """What runs every night: the clone reads the unmounted disk, the others the mounted homes."""
    engines["clone"].protect(disk, copies["clone"], now=now)
    with mounted(disk) as root:
        engines["mirror"].protect(root / "home", copies["mirror"], now=now)
        engines["raid1"].protect(root / "home", copies["raid1"], now=now)
        engines["backup"].protect(root, copies["backup"], now=now)


nightly(monday + timedelta(hours=23))
'''),
        md("## Day 1: a deleted folder, and ransomware starts\n\nAt 14:00 a student deletes a folder by mistake. At 15:00 ransomware encrypts its first files (AES-256-CTR, renamed with `.locked`, a ransom note beside them). That night, every copy runs as usual."),
        code('''
day1 = monday + timedelta(days=1)
with mounted(disk) as root:
    deleted = delete_folder(root, seed=seed, folders=("home",), at=day1 + timedelta(hours=14))
    wave1 = ransomware.encrypt(root, seed=seed, fraction=ransom_fraction / 2, folders=("home",),
                               at=day1 + timedelta(hours=15))
deleted_folder = deleted.details["folder"].removeprefix("home/")
display(Markdown(f"Deleted `{deleted.details['folder']}` ({len(deleted.files)} files). "
                 f"Encrypted {len(wave1.files)} files."))
nightly(day1 + timedelta(hours=23))
'''),
        md("## Day 2: more files encrypted; the copies run again that night"),
        code('''
day2 = monday + timedelta(days=2)
with mounted(disk) as root:
    wave2 = ransomware.encrypt(root, seed=seed + 1, fraction=ransom_fraction / 2, folders=("home",),
                               at=day2 + timedelta(hours=11))
nightly(day2 + timedelta(hours=23))
encrypted = sorted(wave1.files + wave2.files)
facts["encrypted"] = len(encrypted)
facts["deleted_files"] = len(deleted.files)
display(Markdown(f"{len(wave2.files)} more files encrypted: {len(encrypted)} in all. On day 3 a student finally "
                 "opens a document and finds gibberish."))
'''),
        md("## Day 3: what does each copy hold?\n\nThe judge compares each copy with the students' files from day 0: `intact` (the right bytes), `missing`, `corrupted` (content that never was a true version) and `unexpected` (files that were not there: the `.locked` twins and ransom notes). For the backup we restore the snapshot taken **before** the attack, which is the point of keeping versions."),
        code('''
restored = lesson / "restored"
points = engines["backup"].points(copies["backup"])
display(pd.DataFrame([{"snapshot": p.id[:10], "taken": p.time, "kind": p.kind} for p in points]))
before_attack = [p for p in points if p.time < day1][-1]
engines["backup"].restore(copies["backup"], before_attack.id, restored)

judged, listings = {}, {}
judged["mirror"] = compare(truth, take_manifest(copies["mirror"], exclude=list(LEFT_OUT)))
with raid1.mounted_pair(copies["raid1"], readonly=True) as pair:
    judged["raid1"] = compare(truth, take_manifest(pair.mountpoint, exclude=list(LEFT_OUT)))
    capacity = raid1.capacity(pair.mountpoint)
with mounted(copies["clone"], readonly=True) as clone_root:
    judged["clone"] = compare(truth, take_manifest(clone_root / "home"))
judged["backup (day-0 snapshot)"] = compare(truth, take_manifest(restored / "home"))
with mounted(disk, readonly=True) as root:
    judged["the computer itself"] = compare(truth, take_manifest(root / "home"))

counts = pd.DataFrame({name: c.counts() for name, c in judged.items()}).T
facts["counts"] = counts.to_dict(orient="index")
counts
'''),
        code('''
holdings(counts)
'''),
        md("### The mirror: a faithful copy of the damage\n\nA look inside the mirror, in the folder where the first encrypted file was:"),
        code('''
first = wave1.details["encrypted"][0]  # the fault's own record: which file, and the name it got
victim, locked_name = first["file"].removeprefix("home/"), Path(first["renamed_to"]).name
folder_in_mirror = copies["mirror"] / Path(victim).parent
listing = sorted(os.listdir(folder_in_mirror))
locked_in_mirror = sorted(str(p.relative_to(copies["mirror"])) for p in copies["mirror"].rglob("*" + ransomware.EXTENSION))
facts["mirror_locked_files"] = len(locked_in_mirror)
facts["mirror_has_deleted_folder"] = (copies["mirror"] / deleted_folder).exists()
facts["mirror_notes"] = len(list(copies["mirror"].rglob(ransomware.NOTE_NAME)))
display(Markdown(f"`{Path(victim).parent}/` in the mirror ({len(listing)} entries; "
                 f"{len(locked_in_mirror)} `.locked` files in the whole mirror, "
                 f"{facts['mirror_notes']} ransom notes; the deleted folder `{deleted_folder}` is "
                 f"{'still there' if facts['mirror_has_deleted_folder'] else 'gone from the mirror too'}):"))
print("\\n".join(listing[:15]))
'''),
        md("The first bytes of that file, as the mirror holds it now, and as the day-0 backup snapshot gives it back:"),
        code('''
mirror_bytes = (folder_in_mirror / locked_name).read_bytes()[:64]
backup_bytes = (restored / "home" / victim).read_bytes()[:64]
facts["hexdump"] = {"file": victim, "locked_as": locked_name, "mirror": mirror_bytes.hex(),
                    "backup": backup_bytes.hex()}
print(f"mirror: {locked_name}\\n{hexdump(mirror_bytes)}\\n")
print(f"backup (day-0 snapshot): {Path(victim).name}\\n{hexdump(backup_bytes)}")
'''),
        md("### RAID 1 and the clone\n\nRAID 1 writes every block to both disks at once, so the encryption landed on both halves. The clone was refreshed each night, so it copied the damage as faithfully as the mirror. (A clone kept from *before* the attack would be clean, but a clone has one point: refreshing it is how it stays useful.)"),
        code('''
for name in ("raid1", "clone"):
    c = judged[name]
    locked = [v.path for v in c.of("unexpected") if v.path.endswith(ransomware.EXTENSION)]
    facts[f"{name}_locked_files"] = len(locked)
    facts[f"{name}_has_deleted_folder"] = any(p.startswith(deleted_folder + "/") for p in
                                              (v.path for v in c.verdicts if v.category != "missing"))
    display(Markdown(f"**{name}**: {len(locked)} `.locked` files, {c.counts()['missing']} of the students' entries "
                     f"missing, deleted folder {'present' if facts[f'{name}_has_deleted_folder'] else 'gone'}."))
facts["raid1_capacity"] = {"raw_bytes": capacity.raw_bytes, "usable_bytes": capacity.usable_bytes}
display(Markdown(f"And RAID 1's price: {format_bytes(capacity.raw_bytes)} of raw disk give "
                 f"{format_bytes(capacity.usable_bytes)} of usable space."))
'''),
        md("### The versioned backup"),
        code('''
b = judged["backup (day-0 snapshot)"]
locked_back = [v.path for v in b.of("unexpected") if v.path.endswith(ransomware.EXTENSION)]
facts["backup_restored"] = {"intact": b.counts()["intact"], "corrupted": b.counts()["corrupted"],
                            "missing": b.counts()["missing"], "locked": len(locked_back),
                            "deleted_folder_back": (restored / "home" / deleted_folder).is_dir(),
                            "encrypted_files_back_clean": sum(1 for v in b.verdicts if v.category == "intact"
                                                              and "home/" + v.path in encrypted)}
display(Markdown(f"The day-0 snapshot gives back **{b.counts()['intact']}** entries intact, "
                 f"{b.counts()['corrupted']} corrupted, {len(locked_back)} `.locked`; the deleted folder is back: "
                 f"**{facts['backup_restored']['deleted_folder_back']}**; "
                 f"{facts['backup_restored']['encrypted_files_back_clean']} of the {len(encrypted)} encrypted "
                 "files come back clean."))
'''),
        md("""
## What to take away

- A mirror, a RAID 1 and a refreshed clone are **copies of now**. They protect against a
  dead disk, not against what *you* (or malware) do to the files: the deletion and the
  encryption were copied faithfully, overnight.
- A backup that **keeps versions** lets you go back to before the damage. Its weak spot
  is the other way round: anything created since the last snapshot is lost (the RPO).
- Good practice combines them (the 3-2-1-1-0 rule: 3 copies, on 2 kinds of media, 1 off
  site, 1 offline or immutable, 0 errors when verified).

## Exercises

1. Set `ransom_fraction = 0.9` and run again. Does anything change for the backup?
2. The backup's repository is a folder on the same machine. What would the ransomware
   do to it if it were reachable? (Try `workbench fault inject ransomware` on the
   repository folder, then `workbench backup verify`.)
3. Restore the snapshot taken on the night of day 1 instead of day 0. Which files come
   back encrypted, and why?
4. Change `nightly` so the clone is *not* refreshed after day 0. What does the clone hold
   on day 3? What did you lose in exchange?
5. Use `raid1.capacity` to explain the RAID 1 price: why is the usable space half the raw space?
"""),
        code(SAVE_FACTS),
    ]


def which_strategy() -> list:
    return [
        md("""
# 05 · Which strategy? The explorer

Describe your computer and what you can live with; the explorer measures the strategies
against the threats you fear and recommends one strategy, or a pair of them, backed by
the measured rows. The rules it applies are in `workbench/advice/recommend.py`'s
docstring, in short:

- a strategy **recovered** a threat when it came back clean (no ciphertext, no rot) and
  lost at most a small share (`max_lost_share`) of what the threat destroys on an
  unprotected disk (the `none` rows);
- it **answers** the threat when its RPO and RTO are within your limits as well;
- a **pair** answers a threat when either member does; its space is the sum of both;
- the recommendation is the option that answers every feared threat within the space
  budget with the fewest members, then the least space.

Set the parameters below (or use the form further down, which reruns the advice).
With `results_dir` set, the explorer reads those results; without it, it runs a small
comparison for your threats as root (a few minutes), and without root it shows the shipped
example results (`examples/classroom`) and says so.
"""),
        parameters('''
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
'''),
        code('''
%matplotlib inline
import json
from pathlib import Path

import ipywidgets as widgets
from IPython.display import Markdown, display

from workbench.advice import Needs, recommend
from workbench.advice.explore import explorer_results
from workbench.experiment.scenario import known_scenarios
from workbench.report import notebook_plots, plots
from workbench.results.store import load_results
from workbench.workload.profile import known_profiles

facts = {}


def measured_results(profile, data_size, change_factor, threats):
    """The given results folder; as root, a small comparison on the feared threats; else the shipped example."""
    source = explorer_results(results_dir, profile=profile, data_size=data_size, change_factor=change_factor,
                              threats=threats)
    if source.note:
        print(source.note)
    facts.update(results_dir=str(source.folder), note=source.note)
    return load_results(source.folder)[0]


def advise(results, needs):
    advice = recommend(results, needs)
    verdict = "meets every need" if advice.meets_all_needs else "comes closest (no option meets every need)"
    name = advice.choice.name if advice.choice else "nothing"
    display(Markdown(f"### Recommendation: **{name}** — {verdict}\\n\\n" +
                     "\\n".join(f"- {reason}" for reason in advice.reasons + advice.notes)))
    return advice
'''),
        md("## Measure, then advise"),
        code('''
threats = threats.split(",") if isinstance(threats, str) else list(threats)  # papermill -p gives a string
results = measured_results(profile, data_size, change_factor, threats)
needs = Needs(threats=tuple(threats), max_rpo_hours=max_rpo_hours, max_rto_s=max_rto_s,
              max_space_ratio=max_space_ratio, max_lost_share=max_lost_share)
advice = advise(results, needs)
'''),
        md("### The evidence: the measured rows behind the recommendation"),
        code('''
advice.evidence
'''),
        md("### Every strategy against every feared threat, and why"),
        code('''
advice.outcomes[["strategy", "scenario", "recovered", "answered", "bytes_lost", "damage_bytes", "rpo_hours",
                 "rto_s", "space_bytes", "why"]]
'''),
        code('''
display(advice.options.head(10))
notebook_plots.options_map(advice.options, advice.choice.name if advice.choice else None)
'''),
        code('''
chosen_rows = results[results["scenario"].isin(threats)]
plots.rpo_rto_bars(chosen_rows)
'''),
        md("## Try other needs\n\nChange the form and press **Advise**. With a results folder given (or without root, the shipped example), only the limits and threats it measured apply; without one, as root, a new comparison runs when the workload changes."),
        code('''
form = {
    "profile": widgets.Dropdown(options=known_profiles(), value=profile, description="profile"),
    "data_size": widgets.Text(value=data_size, description="data size"),
    "change_factor": widgets.FloatSlider(value=change_factor, min=0.25, max=4, step=0.25, description="churn x"),
    "threats": widgets.SelectMultiple(options=known_scenarios(), value=tuple(threats), description="threats"),
    "max_rpo_hours": widgets.FloatText(value=max_rpo_hours, description="RPO (h)"),
    "max_rto_s": widgets.FloatText(value=max_rto_s, description="RTO (s)"),
    "max_space_ratio": widgets.FloatText(value=max_space_ratio, description="space (x data)"),
}
button, output = widgets.Button(description="Advise", button_style="primary"), widgets.Output()


def on_advise(_):
    with output:
        output.clear_output()
        values = {name: widget.value for name, widget in form.items()}
        chosen = list(values["threats"])
        measured = measured_results(values["profile"], values["data_size"], values["change_factor"], chosen)
        advise(measured, Needs(threats=tuple(chosen), max_rpo_hours=values["max_rpo_hours"],
                               max_rto_s=values["max_rto_s"], max_space_ratio=values["max_space_ratio"],
                               max_lost_share=max_lost_share))


button.on_click(on_advise)
widgets.VBox([*form.values(), button, output])
'''),
        code('''
facts.update({
    "choice": list(advice.choice.members) if advice.choice else [],
    "meets_all_needs": advice.meets_all_needs,
    "answered": advice.choice.answered if advice.choice else {},
    "by_threat": advice.choice.by_threat if advice.choice else {},
    "outcomes": advice.outcomes.to_dict(orient="records"),
    "evidence": advice.evidence.to_dict(orient="records"),
    "max_lost_share": max_lost_share, "max_rpo_hours": max_rpo_hours, "max_rto_s": max_rto_s,
})
''' + SAVE_FACTS),
    ]


def checking_the_article() -> list:
    return [
        md("""
# 06 · Checking the article

This project started from a web article asking whether a mirror image is the same thing
as a backup. It makes claims about images, clones, mirrors, RAID 1 and backups. Here
each claim the workbench can test is tested on measured results, and gets a verdict:

- **holds**: every comparison behind it went the way the claim says;
- **partly**: some did, some did not;
- **does not hold**: none did;
- **cannot test with these results**: the rows it needs are missing (run more strategies or scenarios);
- **cannot test here**: not something the workbench measures (the reason is given).

The claims are restated in our own words in `datasets/claims.yaml`, each with the
comparisons that test it; the rules are in `workbench/advice/claims.py`.
"""),
        parameters('''
results_dir = None  # a folder from 'workbench compare --out'; None: the shipped example, else a small run (root)
profile = "classroom"  # used only when a small run is needed
data_size = "8M"
claims_file = None  # None: the shipped datasets/claims.yaml
facts_path = None
'''),
        code(LOAD_RESULTS + '''
from workbench.advice.claims import check_claims, judge_claims, load_claims

claims = load_claims(claims_file)
'''),
        md("## The verdicts"),
        code('''
verdicts = judge_claims(results, claims)
pd.set_option("display.max_colwidth", None)
verdicts[["id", "claim", "verdict", "passed", "evaluated"]]
'''),
        md("## The comparisons behind them\n\nEach row is one comparison on measured numbers: the claim's check, the strategy and scenario, the two values and whether it went the claim's way."),
        code('''
comparisons = check_claims(results, claims)
comparisons[comparisons["passed"].notna()][["claim", "says", "strategy", "scenario", "left", "op", "right",
                                             "passed"]]
'''),
        md("## In plain words"),
        code('''
for row in verdicts.itertuples():
    display(Markdown(f"**{row.claim}** — *{row.verdict}*. {row.evidence}"))
'''),
        code('''
facts["verdicts"] = verdicts[["id", "verdict", "passed", "evaluated"]].to_dict(orient="records")
facts["comparisons"] = comparisons.astype(object).where(comparisons.notna(), None).to_dict(orient="records")
facts["strategies"] = sorted(results["strategy"].unique())
''' + SAVE_FACTS),
    ]


NOTEBOOKS = {
    "01_tour.ipynb": tour,
    "02_time_and_space.ipynb": time_and_space,
    "03_recovery_under_faults.ipynb": recovery_under_faults,
    "04_mirror_is_not_a_backup.ipynb": mirror_is_not_a_backup,
    "05_which_strategy.ipynb": which_strategy,
    "06_checking_the_article.ipynb": checking_the_article,
}


def notebook(cells: list) -> nbformat.NotebookNode:
    book = nbformat.v4.new_notebook(cells=cells)
    book.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    book.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(book.cells):
        cell["id"] = f"cell-{index:02d}"  # stable ids: rebuilding does not churn the files
    return book


def render(name: str) -> str:
    return nbformat.writes(notebook(NOTEBOOKS[name]()), version=4) + "\n"


def main() -> int:
    for name in NOTEBOOKS:
        (HERE / name).write_text(render(name))
        print(f"wrote notebooks/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
