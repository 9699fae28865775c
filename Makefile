# Two commands on a fresh Debian machine, as root:
#   make demo   set up, then run the default comparison and write a report
#   make test   set up, then run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WB := $(VENV)/bin/workbench
DEMO_OUT ?= reports/demo

# What the workbench runs (apt package names; see workbench/proc.py for tool -> package).
APT_RUNTIME := util-linux mount fdisk gdisk e2fsprogs dosfstools mtools btrfs-progs zstd attr fuse3
# The real tools the matrix runs beside the workbench's engines (strategies/external/): Debian 12's versions.
APT_TOOLS := restic borgbackup rsnapshot rsync unison partclone
# What the tests need beyond that: a real browser for the report test (and to print the PDF report),
# pdftotext to read the PDF back.
APT_TEST := chromium poppler-utils
# The reference tools the benchmarks compare against (rsync, unison, zstd come with the above),
# and GNU time, which measures each side's peak memory.
APT_BENCH := restic borgbackup b3sum time
# A real OS on a disk (the debian profile) and booting it: mmdebstrap builds the root once,
# GRUB's EFI image goes on the ESP, QEMU boots it with OVMF's UEFI firmware.
APT_OS := mmdebstrap grub-efi-amd64-bin qemu-system-x86 ovmf
# Where 'make os-cache' keeps the Debian root (the tests look there too); the first build
# downloads from the Debian mirror apt uses and takes about 3-4 minutes, later ones nothing.
OS_CACHE ?= $(HOME)/.local/share/workbench/cache/os

.PHONY: setup setup-test setup-bench os-cache demo test test-fast bench notebooks docs explorer clean-venv
.DEFAULT_GOAL := help

help:
	@echo "make demo    set up (apt, venv, pip) and run the default comparison; prints where the report is"
	@echo "make test    set up and run the whole test suite (as root: it uses loop devices)"
	@echo "make bench   set up with the reference tools and run the benchmarks"
	@echo "make notebooks  write notebooks/*.ipynb from their Python sources (notebooks/NN_name.py)"
	@echo "make explorer  serve the strategy explorer (notebook 05) on 127.0.0.1 with a token; RESULTS=dir to read"
	@echo "make docs    render the generated documents (docs/results.md, from the results schema)"
	@echo "make os-cache  build the Debian root the debian profile installs (once; a few minutes)"
	@echo "make fill-sweep  every strategy on a deletion at three disk fills, into examples/fill-sweep (as root)"

define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

setup: $(VENV)/.installed
	$(call apt_install,$(APT_RUNTIME) $(APT_TOOLS))

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null)
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,notebooks]'
	@touch $@

setup-test: setup os-cache
	$(call apt_install,$(APT_TEST))

# The cached Debian root for the debian profile, built once (as root) and reused by every build.
os-cache: setup
	$(call apt_install,$(APT_OS))
	WORKBENCH_OS_CACHE=$(OS_CACHE) $(PY) -c "import sys; from workbench.disk import oscache; \
	  print(oscache.ensure(lambda line: print(line, file=sys.stderr)).tarball)"

setup-bench: setup
	$(call apt_install,$(APT_BENCH))

demo: setup
	$(WB) compare --profile classroom --scenarios demo --strategies demo --out $(DEMO_OUT)
	@echo "open $(DEMO_OUT)/report.html, or run: .venv/bin/jupyter lab notebooks/"

test: setup-test
	WORKBENCH_OS_CACHE=$(OS_CACHE) $(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not root and not slow"

# docs/results.md is rendered from workbench/results/schema.py, docs/benchmarks.md from the
# committed benchmark records (benchmarks/records/); tests check both are current.
docs: setup
	$(PY) -m workbench.results.docs
	$(PY) benchmarks/render.py

# Every goal of the benchmarks at a moderate size (a quarter of the full one; as root: loop disks),
# each writing its record, then docs/benchmarks.md rendered from the records. One at full size:
#   .venv/bin/python benchmarks/backup.py --size FULL --json benchmarks/records/backup-FULL.json
BENCHMARKS := backup mirror two_way clone image manifest
bench: setup-bench
	$(foreach name,$(BENCHMARKS),$(PY) benchmarks/$(name).py --json benchmarks/records/$(name)-moderate.json &&) true
	$(PY) benchmarks/render.py

# The notebooks' .ipynb files, written from their sources (notebooks/NN_name.py, jupytext's percent
# format): cell ids kept, outputs and execution counts cleared. Run it after editing a source outside
# JupyterLab (which keeps each pair in step itself); tests/notebooks/test_sources.py checks the pairs.
NOTEBOOK_SOURCES := $(wildcard notebooks/[0-9][0-9]_*.py)
notebooks: setup
	$(VENV)/bin/jupytext --quiet --update --to ipynb $(NOTEBOOK_SOURCES)
	$(VENV)/bin/jupyter nbconvert --log-level=WARN --clear-output --inplace $(NOTEBOOK_SOURCES:.py=.ipynb)

# The strategy explorer (notebook 05) as a web page: Voila serves it on 127.0.0.1 only, behind a fresh
# token, reading RESULTS (a 'workbench compare --out' folder). It only reads: measuring runs when the page's
# Measure button is pressed, as root. notebooks/explorer holds Voila's settings (voila.json) and a page
# template that loads nothing from outside this machine.
RESULTS ?= examples/classroom
EXPLORER_PORT ?= 8866
explorer: setup
	@[ -f $(RESULTS)/results.csv ] || { echo "no results in '$(RESULTS)': give RESULTS=DIR, a 'workbench compare --out' folder"; exit 2; }
	@token=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(24))'); \
	echo "the explorer, reading $(RESULTS): http://127.0.0.1:$(EXPLORER_PORT)/?token=$$token (Ctrl-C stops it)"; \
	JUPYTER_PATH=$(CURDIR)/notebooks/explorer WORKBENCH_RESULTS=$(abspath $(RESULTS)) exec $(VENV)/bin/voila \
	  --Voila.config_file_paths=notebooks/explorer --port=$(EXPLORER_PORT) --token=$$token \
	  --Voila.log_level=WARN notebooks/05_which_strategy.ipynb

# The shipped example results, regenerated by one command (as root; about 75 minutes on an idle
# machine of two cores), the fill sweep and the which-tool set included:
#   examples/classroom      every strategy (ours and the real tools') x every scenario, the classroom
#                           profile at its default size, with cells/ (make classroom alone);
#   examples/which-tool     every engine of the backup, mirror and image strategies (ours and the real
#                           tools) x deletion, ransomware and target corruption, with cells/: the
#                           report's "which tool";
#   examples/sweep/<name>   every strategy on a deletion, at two more data sizes and at 4x the daily
#                           churn (notebook 02's sweep); these keep only results.csv and run.json.
# The churned profile is written by workbench.advice.explore.scaled_profile and shipped beside its
# results, so its run.json names a file in the repository. WORKBENCH_HOME holds the loop disks.
EXAMPLE_OUT := examples/classroom
EXAMPLE_STRATEGIES := none,image,backup,clone,mirror-sync,mirror-continuous,mirror-two-way,raid1
# The classroom matrix is every strategy (ours and the real tools') x every scenario: 210 cells,
# about 40 minutes on two cores with two cells at a time.
CLASSROOM_STRATEGIES := all
CLASSROOM_SCENARIOS := all
EXAMPLE_JOBS ?= 2
WHICH_TOOL_OUT := examples/which-tool
WHICH_TOOL_STRATEGIES := backup/*,mirror-sync/*,mirror-two-way/*,image/*
WHICH_TOOL_SCENARIOS := deletion,ransomware,target-corruption
SWEEP_OUT := examples/sweep
SWEEP_SCENARIOS := deletion
SWEEP_SIZES := 8M 48M
SWEEP_CHURN := 4
EXAMPLE_COMPARE := $(WB) compare --seed 1 --quiet --no-report

# $(call example_run,FOLDER,COMPARE OPTIONS[,MORE TO KEEP]): run into FOLDER/.run, keep the two tables
# (and MORE TO KEEP, e.g. cells).
define example_run
	rm -rf $(1)/.run && mkdir -p $(1)
	$(EXAMPLE_COMPARE) $(2) --out $(1)/.run
	cp -r $(1)/.run/results.csv $(1)/.run/run.json $(addprefix $(1)/.run/,$(3)) $(1)/
	rm -rf $(1)/.run

endef

# The fill sweep (as root; about 10 minutes): every strategy on a deletion, the classroom profile at its
# default size, on disks sized so the data fills a quarter, half and nine tenths of the root filesystem
# (compare --fill). It tells what follows the disk (a clone's reserved room, raid1's second disk) from
# what follows the data (a backup's footprint); the claims on room are judged on it. Each
# examples/fill-sweep/fill-<share> keeps results.csv, run.json and cells/.
FILL_SWEEP_OUT := examples/fill-sweep
FILL_SWEEP_FILLS := 0.25 0.5 0.9

# The "which tool" set (as root; about 10 minutes): the same strategy run by our engine and by the real
# tools, side by side (examples/which-tool keeps results.csv, run.json and cells/).
which-tool: setup
	$(call example_run,$(WHICH_TOOL_OUT),--profile classroom --scenarios $(WHICH_TOOL_SCENARIOS) --strategies '$(WHICH_TOOL_STRATEGIES)',cells)

.PHONY: fill-sweep
fill-sweep: setup
	rm -rf $(FILL_SWEEP_OUT)
	$(foreach fill,$(FILL_SWEEP_FILLS),$(call example_run,$(FILL_SWEEP_OUT)/fill-$(fill),--strategies $(EXAMPLE_STRATEGIES) --profile classroom --fill $(fill) --scenarios deletion,cells))

.PHONY: example-results which-tool classroom sweep
example-results: setup classroom sweep fill-sweep which-tool
classroom: setup
	rm -rf $(EXAMPLE_OUT)
	$(call example_run,$(EXAMPLE_OUT),--strategies $(CLASSROOM_STRATEGIES) --profile classroom --scenarios $(CLASSROOM_SCENARIOS) --jobs $(EXAMPLE_JOBS),cells)

sweep: setup
	rm -rf $(SWEEP_OUT)
	$(foreach size,$(SWEEP_SIZES),$(call example_run,$(SWEEP_OUT)/classroom-$(size),--strategies $(EXAMPLE_STRATEGIES) --profile classroom --data-size $(size) --scenarios $(SWEEP_SCENARIOS)))
	mkdir -p $(SWEEP_OUT)/classroom-churn-x$(SWEEP_CHURN)
	$(PY) -c "import shutil, sys; from workbench.advice.explore import scaled_profile; \
	  shutil.copy(scaled_profile('classroom', $(SWEEP_CHURN)), sys.argv[1])" \
	  $(SWEEP_OUT)/classroom-churn-x$(SWEEP_CHURN)/classroom-churn-x$(SWEEP_CHURN).yaml
	$(call example_run,$(SWEEP_OUT)/classroom-churn-x$(SWEEP_CHURN),--strategies $(EXAMPLE_STRATEGIES) --profile \
	  $(SWEEP_OUT)/classroom-churn-x$(SWEEP_CHURN)/classroom-churn-x$(SWEEP_CHURN).yaml --scenarios $(SWEEP_SCENARIOS))

clean-venv:
	rm -rf $(VENV)
