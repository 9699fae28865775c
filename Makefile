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
APT_RUNTIME := util-linux mount fdisk gdisk e2fsprogs dosfstools mtools btrfs-progs zstd attr
# What the tests need beyond that: a real browser for the report test.
APT_TEST := chromium
# The reference tools the benchmarks compare against.
APT_BENCH := partclone restic borgbackup rsync unison b3sum

.PHONY: setup setup-test setup-bench demo test test-fast bench clean-venv
.DEFAULT_GOAL := help

help:
	@echo "make demo    set up (apt, venv, pip) and run the default comparison; prints where the report is"
	@echo "make test    set up and run the whole test suite (as root: it uses loop devices)"
	@echo "make bench   set up with the reference tools and run the benchmarks"

define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

setup: $(VENV)/.installed
	$(call apt_install,$(APT_RUNTIME))

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null)
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

setup-test: setup
	$(call apt_install,$(APT_TEST))

setup-bench: setup
	$(call apt_install,$(APT_BENCH))

demo: setup
	$(WB) compare --profile classroom --scenarios demo --strategies demo --out $(DEMO_OUT)
	@echo "open $(DEMO_OUT)/report.html, or run: .venv/bin/jupyter lab notebooks/"

test: setup-test
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not root and not slow"

bench: setup-bench
	$(PY) benchmarks/block.py --size 512M
	$(PY) benchmarks/files.py --size 256M
	$(PY) benchmarks/manifest.py --size 256M

# The shipped example results (examples/classroom): a real classroom run, about 10 minutes as root.
EXAMPLE_OUT := examples/classroom
EXAMPLE_STRATEGIES := none,image,backup,clone,mirror-sync,mirror-continuous,raid1
EXAMPLE_SCENARIOS := deletion,slow-ransomware,partition-wipe,bitrot,target-corruption
.PHONY: example-results
example-results: setup
	rm -rf $(EXAMPLE_OUT)/.run
	$(WB) compare --profile classroom --strategies $(EXAMPLE_STRATEGIES) --scenarios $(EXAMPLE_SCENARIOS) \
	  --seed 1 --quiet --no-report --out $(EXAMPLE_OUT)/.run
	cp $(EXAMPLE_OUT)/.run/results.csv $(EXAMPLE_OUT)/.run/run.json $(EXAMPLE_OUT)/
	rm -rf $(EXAMPLE_OUT)/.run

clean-venv:
	rm -rf $(VENV)
