# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · A mirror is not a backup
#
# *A classroom lesson.* A student's computer is protected four ways at once:
#
# 1. a **mirror**: the homes copied to another folder every night, kept exactly in step;
# 2. a **RAID 1**: two disks holding the same bytes (btrfs raid1 over two loop disks);
# 3. a **clone**: the whole disk copied onto a spare disk, refreshed every night;
# 4. a **versioned backup**: a snapshot every night, and the old snapshots are kept.
#
# Then things go wrong, the way they do: on day 1 a folder is deleted by mistake and
# ransomware starts encrypting files, a few at a time; on day 2 it encrypts more. Nobody
# notices until day 3. What does each copy hold by then?
#
# Everything below is real: real disks, real AES encryption, real copies. Needs root; about a minute.

# %% tags=["parameters"]
workspace_dir = "/tmp/workbench-lesson"  # WORKBENCH_HOME for this notebook: everything it makes stays in here
profile = "classroom"
data_size = "8M"
disk_size = "128M"
seed = 1
ransom_fraction = 0.4  # of the homes' files, over the two days
facts_path = None

# %%
# %matplotlib inline
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown, display

from workbench import lab

lesson = lab.use_workspace(workspace_dir, fresh="lesson")  # a fresh start inside the notebook's own workspace
monday = datetime(2026, 1, 5, tzinfo=UTC)
facts: dict[str, Any] = {}

# %% [markdown]
# ## Day 0: a healthy computer, protected four ways

# %%
disk = lab.make_disk(lesson / "pc.img", disk_size)
lab.build(disk, profile, data_size=data_size, seed=seed)
truth = lab.ground_truth(disk, "home")  # what the students had, file by file, before anything happened
display(Markdown(f"The homes hold {len(truth.files)} files ({lab.format_bytes(truth.file_bytes)})."))

# %%
copies = {"mirror": lab.strategy("mirror-sync", lesson / "mirror"),
          "raid1": lab.strategy("raid1", lesson / "raid1", half_bytes=lab.RAID1_MIN_BYTES),
          "clone": lab.strategy("clone", lesson / "clone.img"),
          "backup": lab.strategy("backup", lesson / "backup")}


def nightly(now: datetime) -> None:
    """What runs every night: each copy catches up (the clone reads the disk, the others the homes)."""
    for copy in copies.values():
        copy.protect(disk, now=now)


nightly(monday + timedelta(hours=23))

# %% [markdown]
# ## Day 1: a deleted folder, and ransomware starts
#
# At 14:00 a student deletes a folder by mistake. At 15:00 ransomware encrypts its first files
# (AES-256-CTR, renamed with `.locked`, a ransom note beside them). That night, every copy runs as
# usual.

# %%
day1 = monday + timedelta(days=1)
deleted = lab.strike("deletion", disk, seed=seed, whole_folder=True, at=day1 + timedelta(hours=14))
wave1 = lab.strike("ransomware", disk, seed=seed, fraction=ransom_fraction / 2, at=day1 + timedelta(hours=15))
deleted_folder = deleted.details["folder"].removeprefix("home/")
display(Markdown(f"Deleted `{deleted.details['folder']}` ({len(deleted.files)} files). "
                 f"Encrypted {len(wave1.files)} files."))
nightly(day1 + timedelta(hours=23))

# %% [markdown]
# ## Day 2: more files encrypted; the copies run again that night

# %%
day2 = monday + timedelta(days=2)
wave2 = lab.strike("ransomware", disk, seed=seed + 1, fraction=ransom_fraction / 2, at=day2 + timedelta(hours=11))
nightly(day2 + timedelta(hours=23))
encrypted = sorted(wave1.files + wave2.files)
facts["encrypted"] = len(encrypted)
facts["deleted_files"] = len(deleted.files)
display(Markdown(f"{len(wave2.files)} more files encrypted: {len(encrypted)} in all. On day 3 a student finally "
                 "opens a document and finds gibberish."))

# %% [markdown]
# ## Day 3: what does each copy hold?
#
# The judge compares each copy with the students' files from day 0: `intact` (the right bytes),
# `missing`, `corrupted` (content that never was a true version) and `unexpected` (files that were
# not there: the `.locked` twins and ransom notes). For the backup we restore the snapshot taken
# **before** the attack, which is the point of keeping versions.

# %%
backup = copies["backup"]
display(pd.DataFrame([{"snapshot": p.id[:10], "taken": p.time, "kind": p.kind} for p in backup.points()]))
restored = lesson / "restored"
report = backup.restore(restored, backup.point_before(day1).id)
display(Markdown(f"Restored snapshot `{report.point_id[:10]}` (the last before day 1): {report.files} files."))

# %%
judged = {name: lab.judge(truth, copies[name]) for name in ("mirror", "raid1", "clone")}  # each read in place
judged["backup (day-0 snapshot)"] = lab.judge(truth, restored)
judged["the computer itself"] = lab.judge(truth, disk)
counts = pd.DataFrame({name: c.counts() for name, c in judged.items()}).T
facts["counts"] = counts.to_dict(orient="index")
counts

# %%
lab.holdings(counts)

# %% [markdown]
# ### The mirror: a faithful copy of the damage
#
# A look inside the mirror, in the folder where the first encrypted file was:

# %%
first = wave1.details["encrypted"][0]  # the fault's own record: which file, and the name it got
victim, locked_name = first["file"].removeprefix("home/"), Path(first["renamed_to"]).name
mirror = copies["mirror"].target
listing = sorted(os.listdir(mirror / Path(victim).parent))
facts["mirror_locked_files"] = len(list(mirror.rglob("*" + lab.LOCKED_SUFFIX)))
facts["mirror_has_deleted_folder"] = (mirror / deleted_folder).exists()
facts["mirror_notes"] = len(list(mirror.rglob(lab.RANSOM_NOTE)))
display(Markdown(f"`{Path(victim).parent}/` in the mirror ({len(listing)} entries; "
                 f"{facts['mirror_locked_files']} `.locked` files in the whole mirror, "
                 f"{facts['mirror_notes']} ransom notes; the deleted folder `{deleted_folder}` is "
                 f"{'still there' if facts['mirror_has_deleted_folder'] else 'gone from the mirror too'}):"))
print("\n".join(listing[:15]))

# %% [markdown]
# The first bytes of that file, as the mirror holds it now, and as the day-0 backup snapshot gives it back:

# %%
mirror_bytes = (mirror / Path(victim).parent / locked_name).read_bytes()[:64]
backup_bytes = (restored / "home" / victim).read_bytes()[:64]
facts["hexdump"] = {"file": victim, "locked_as": locked_name, "mirror": mirror_bytes.hex(),
                    "backup": backup_bytes.hex()}
print(f"mirror: {locked_name}\n{lab.hexdump(mirror_bytes)}\n")
print(f"backup (day-0 snapshot): {Path(victim).name}\n{lab.hexdump(backup_bytes)}")

# %% [markdown]
# ### RAID 1 and the clone
#
# RAID 1 writes every block to both disks at once, so the encryption landed on both halves. The
# clone was refreshed each night, so it copied the damage as faithfully as the mirror. (A clone kept
# from *before* the attack would be clean, but a clone has one point: refreshing it is how it stays
# useful.)

# %%
for name in ("raid1", "clone"):
    c = judged[name]
    locked = [v.path for v in c.of("unexpected") if v.path.endswith(lab.LOCKED_SUFFIX)]
    facts[f"{name}_locked_files"] = len(locked)
    facts[f"{name}_has_deleted_folder"] = any(v.path.startswith(deleted_folder + "/") for v in c.verdicts
                                              if v.category != "missing")
    display(Markdown(f"**{name}**: {len(locked)} `.locked` files, {c.counts()['missing']} of the students' entries "
                     f"missing, deleted folder {'present' if facts[f'{name}_has_deleted_folder'] else 'gone'}."))
capacity = lab.raid1_capacity(copies["raid1"])
facts["raid1_capacity"] = {"raw_bytes": capacity.raw_bytes, "usable_bytes": capacity.usable_bytes}
display(Markdown(f"And RAID 1's price: {lab.format_bytes(capacity.raw_bytes)} of raw disk give "
                 f"{lab.format_bytes(capacity.usable_bytes)} of usable space."))

# %% [markdown]
# ### The versioned backup

# %%
b = judged["backup (day-0 snapshot)"]
locked_back = [v.path for v in b.of("unexpected") if v.path.endswith(lab.LOCKED_SUFFIX)]
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

# %% [markdown]
# ## What to take away
#
# - A mirror, a RAID 1 and a refreshed clone are **copies of now**. They protect against a
#   dead disk, not against what *you* (or malware) do to the files: the deletion and the
#   encryption were copied faithfully, overnight.
# - A backup that **keeps versions** lets you go back to before the damage. Its weak spot
#   is the other way round: anything created since the last snapshot is lost (the RPO).
# - Good practice combines them (the 3-2-1-1-0 rule: 3 copies, on 2 kinds of media, 1 off
#   site, 1 offline or immutable, 0 errors when verified).
#
# ## Exercises
#
# 1. Set `ransom_fraction = 0.9` and run again. Does anything change for the backup?
# 2. The backup's repository is a folder on the same machine. What would the ransomware
#    do to it if it were reachable? (Try `workbench fault inject ransomware` on the
#    repository folder, then `workbench backup verify`.)
# 3. Restore the snapshot taken on the night of day 1 instead of day 0. Which files come
#    back encrypted, and why?
# 4. Change `nightly` so the clone is *not* refreshed after day 0. What does the clone hold
#    on day 3? What did you lose in exchange?
# 5. Use `lab.raid1_capacity` to explain the RAID 1 price: why is the usable space half the raw space?


# %%
if facts_path:
    Path(facts_path).write_text(json.dumps(facts, indent=1, default=str))
facts
