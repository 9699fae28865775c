# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · A tour of the workbench
#
# Four ways to protect a computer, tried once each on a real (small) disk:
#
# | strategy | what it copies | what it keeps |
# |---|---|---|
# | **image** | the whole disk, compressed, block by block | every point in time it took |
# | **backup** | the users' files, deduplicated and compressed | every snapshot |
# | **clone** | the whole disk, byte for byte, onto another disk | one copy, usable as it is |
# | **mirror** | the users' files, as a plain folder kept in step | only *now* |
#
# Then we break the disk (its partition table is wiped, so nothing can be found on it),
# bring it back from the image, and let the judge compare every file with what was there.
# Everything here is real: loop devices, filesystems, bytes. It needs root and takes about a minute.

# %% tags=["parameters"]
workspace_dir = "/tmp/workbench-tour"  # WORKBENCH_HOME for this notebook: everything it makes stays in here
profile = "classroom"  # a workload profile from datasets/
data_size = "16M"  # how much data the profile generates
disk_size = "128M"
seed = 1
boot_results = "examples/boot-check"  # a 'compare --boot-check' run on the debian profile (section 5)
facts_path = None  # where to write this notebook's key facts as JSON (the tests read them)

# %%
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown, display

from workbench import lab

tour = lab.use_workspace(workspace_dir, fresh="tour")  # a fresh start inside the notebook's own workspace
facts: dict[str, Any] = {}

# %% [markdown]
# ## 1. A small PC
#
# A disk image with a GPT, an EFI System Partition and an ext4 root, like a real laptop's disk.

# %%
disk = lab.make_disk(tour / "pc.img", disk_size)
healthy = lab.health(disk)
facts["health_new"] = healthy.ok
pd.Series(healthy.to_json()).to_frame("new disk")

# %% [markdown]
# Fill it with the profile's files: an operating-system part and two students' homes, with every
# awkward kind of file (hard links, symlinks, sparse files, long names, extended attributes).

# %%
made = lab.build(disk, profile, data_size=data_size, seed=seed)
before = lab.ground_truth(disk)  # every entry of the root filesystem, hashed: what the judge compares with
files = before.files
facts["files"] = len(files)
display(Markdown(f"{made.files} files generated; the disk now holds {len(files)} files, "
                 f"{lab.format_bytes(before.file_bytes)}."))
pd.Series([e.path.split("/")[0] for e in files]).value_counts().sort_index().rename("files").to_frame()

# %% [markdown]
# ## 2. Protect it four ways
#
# Image and clone read the unmounted disk; backup and mirror read the mounted files (here the users' `home`).

# %%
now = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
copies = {"image": lab.strategy("image", tour / "image"), "clone": lab.strategy("clone", tour / "clone.img"),
          "backup": lab.strategy("backup", tour / "backup"), "mirror": lab.strategy("mirror-sync", tour / "mirror")}
runs = []
for name, copy in copies.items():
    with lab.stopwatch() as clock:
        point = copy.protect(disk, now=now)
    runs.append({"strategy": name, "covers": copy.covers, "seconds": round(clock.seconds, 2),
                 "footprint": copy.footprint(), "restore point": point.id})
table = pd.DataFrame(runs).set_index("strategy")
facts["protected"] = table["footprint"].to_dict()
table.assign(footprint=table["footprint"].map(lab.format_bytes))

# %% [markdown]
# The clone is a whole disk (sparse here, so only its used blocks take room); the image is that disk
# compressed; backup and mirror hold only the homes.

# %% [markdown]
# ## 3. Break it
#
# Wipe the partition table: both GPT copies and the protective MBR. The files are all still there on
# the platter, but nothing can find them.

# %%
record = lab.strike("partition-wipe", disk)
broken = lab.health(disk)
facts["health_broken"] = broken.ok
try:
    with lab.mounted(disk):
        pass
    facts["mount_after_wipe"] = "mounted"
except lab.WorkbenchError as error:
    facts["mount_after_wipe"] = str(error)
display(Markdown(f"Wiped {sum(r.length for r in record.ranges)} bytes. "
                 f"Mounting now says: *{facts['mount_after_wipe']}*"))
pd.Series(broken.to_json()).to_frame("after the wipe")

# %% [markdown]
# ## 4. Bring it back from the image
#
# Restore the image's newest point over the broken disk, then ask the health check and the judge.

# %%
with lab.stopwatch() as clock:
    report = copies["image"].restore(disk, "latest", force=True)  # the newest point, over the broken disk
facts["restore_s"] = round(clock.seconds, 2)
restored = lab.health(disk)
facts["health_restored"] = restored.ok
verdict = lab.judge(before, disk)
facts["judge"] = verdict.counts()
display(Markdown(f"Restored {lab.format_bytes(report.bytes_written)} in {facts['restore_s']} s. "
                 f"Healthy again: **{restored.ok}**."))
pd.Series(verdict.counts(), name="files and folders").to_frame()

# %% [markdown]
# The judge compares every file's content hash, owner, mode, times, links and extended
# attributes with the manifest taken before anything happened: `intact` is the only
# category that should be non-zero. The other strategies could have helped too, each in
# its own way: the clone can simply be used as the disk, while the backup and the mirror
# bring back the homes onto a freshly installed system.
#
# ## 5. A real computer: does the restored disk start?
#
# The files came back, but does the computer? The `debian` profile puts a real Debian system on
# the disk (kernel, systemd, GRUB on the EFI partition), and `workbench compare --boot-check`
# boots each recovered disk under QEMU with UEFI firmware, on a throw-away overlay. A boot counts
# only when the running system prints a nonce passed in for that one boot. The run read here was
# made with
#
#     workbench compare --profile debian --scenarios partition-wipe --strategies image,backup,none \
#         --boot-check --out reports/boot
#
# (a few minutes as root; point `boot_results` at your own run to see yours).

# %%
booting = lab.read_results(boot_results)
verdicts = booting.ok.set_index("strategy")[["recovery_level", "files_intact", "files_missing", "boot_check",
                                             "boot_ok", "boot_s"]]
consoles = booting.boots()
last_lines = consoles["last_lines"].to_dict()  # cell -> the console's last lines
facts["boot_ok"] = {name: bool(ok) for name, ok in verdicts["boot_ok"].items()}
facts["boot_verdicts"] = dict(consoles["verdict"])
verdicts

# %% [markdown]
# The image brought back the whole disk, boot loader and all: the firmware finds GRUB, GRUB finds
# the kernel, and systemd reaches multi-user. These are the last lines of its console:

# %%
display(Markdown("```\n" + "\n".join(last_lines["image__partition-wipe__r1"][-8:]) + "\n```"))

# %% [markdown]
# The backup restored the homes onto a new, empty disk: the files are there, but no operating system
# and no boot loader that is one. The firmware tries the disk, finds nothing it can start, and falls
# back to its own shell. A backup needs **a fresh OS install first, then the backup**. With no
# protection at all (`none`) the firmware finds no partitions, and ends the same way.

# %%
display(Markdown("```\n" + "\n".join(last_lines["backup__partition-wipe__r1"][-4:]) + "\n```"))
consoles[["verdict", "stage", "seconds"]]

# %% [markdown]
# **Next:** `02_time_and_space` (what each costs), `03_recovery_under_faults` (what each
# survives), `04_mirror_is_not_a_backup` (the lesson), `05_which_strategy` (the explorer).

# %%
if facts_path:
    Path(facts_path).write_text(json.dumps(facts, indent=1, default=str))
facts
