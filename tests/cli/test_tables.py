"""The strategy table and the fault kinds table: each concept listed once, and everything else reads it."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from workbench.errors import UsageError
from workbench.experiment import registry
from workbench.experiment.scenario import FaultSpec, scenario_from_data
from workbench.experiment.strikes import PROTECTION_FAULTS, strike_hours
from workbench.faults import kinds
from workbench.faults.records import FaultRecord
from workbench.report.style import STRATEGY_COLOURS
from workbench.strategies import catalog, mirror

DOC = Path(__file__).resolve().parents[2] / "docs" / "tables.md"


# ------------------------------------------------------------------------------------------ strategies

def test_names_are_unique_and_every_row_has_a_factory() -> None:
    names = catalog.names()
    assert len(set(names)) == len(names)
    assert set(registry._FACTORIES) == set(names)
    assert registry.STRATEGIES == names


@pytest.mark.parametrize("row", catalog.STRATEGIES, ids=catalog.names())
def test_what_the_matrix_builds_is_what_the_row_says(row: catalog.StrategyRow, tmp_path: Path) -> None:
    for variant in row.variants or ("",):
        text = f"{row.name}:{variant}" if variant else row.name
        protection = registry.make_protection(text, target=tmp_path / "t", scratch=tmp_path / "s")
        strategy = protection.strategy
        assert (protection.name, protection.variant, protection.scope) == (row.name, variant, row.scope)
        assert protection.schedule.text == row.schedule
        assert strategy.source_kind == row.source
        assert getattr(strategy, "variant", "") == variant


def test_the_mirror_modes_are_the_tables() -> None:
    assert mirror.MODES == ("sync", "continuous", "two-way", "raid1")
    for mode in mirror.MODES:
        assert mirror.make(mode).name == catalog.by_mode("mirror", mode).name
    with pytest.raises(UsageError, match="use one of sync, continuous, two-way, raid1"):
        mirror.make("three-way")


def test_names_parse_with_an_engine_and_a_variant() -> None:
    assert catalog.parse("mirror-sync").variant == "quick-check"
    assert catalog.parse("mirror-sync/workbench:checksum").name == "mirror-sync"
    assert registry.strategy_spec("backup/workbench") == ("backup", "")
    assert registry.strategy_spec("backup/borg:repokey") == ("backup/borg", "repokey")
    assert catalog.parse("backup/borg").variant == "none"
    with pytest.raises(UsageError, match="backup has no engine 'tar': its engines are workbench, restic, borg"):
        catalog.parse("backup/tar")
    with pytest.raises(UsageError, match="variants are quick-check, checksum"):
        catalog.parse("mirror-sync:sha1")
    with pytest.raises(UsageError, match="unknown strategy 'rsync'"):
        catalog.parse("rsync")


def test_an_engine_row_is_one_more_line() -> None:
    """The next tools (restic, rsync...) are rows with an engine: named with a slash, parsed as such."""
    restic = dataclasses.replace(catalog.row("backup"), engine="restic", command=None, verbs=())
    assert restic.name == "backup/restic"
    assert catalog.names((*catalog.STRATEGIES, restic))[-1] == "backup/restic"


def test_selections() -> None:
    assert catalog.select("all") == list(catalog.names())
    assert catalog.select("backup/*,image") == ["backup", "backup/restic", "backup/borg", "backup/rsnapshot", "image"]
    assert catalog.select("backup/borg:repokey,backup/*")[:2] == ["backup/borg:repokey", "backup"]
    with pytest.raises(UsageError, match="unknown strategy 'tape'"):
        catalog.select("tape/*")
    assert "mirror-two-way" not in catalog.select("demo") and "raid1" in catalog.select("demo")
    assert catalog.select(" backup , mirror-sync:checksum ") == ["backup", "mirror-sync:checksum"]
    with pytest.raises(UsageError, match="no strategy given"):
        catalog.select(",")


def test_the_report_lists_strategies_in_the_tables_order() -> None:
    """One colour per strategy; a real tool's engine takes its strategy's (the report tells engines apart)."""
    assert list(STRATEGY_COLOURS) == list(dict.fromkeys(r.strategy for r in catalog.STRATEGIES))


def test_commands_and_their_verbs() -> None:
    assert catalog.commands() == ("image", "backup", "clone", "mirror")
    assert catalog.verbs_of("image")[:4] == catalog.COMMON_VERBS
    assert catalog.verbs_of("mirror") == catalog.COMMON_VERBS
    with pytest.raises(UsageError, match="drives no strategy"):
        catalog.rows_of("disk")


# ------------------------------------------------------------------------------------------ fault kinds

def test_fault_kinds_are_the_scenarios() -> None:
    assert len(set(kinds.names())) == len(kinds.names()) == 11
    assert PROTECTION_FAULTS == ("target-corruption", "conflicting-edits", "crash-during-protect")


@pytest.mark.parametrize("kind", kinds.KINDS, ids=kinds.names())
def test_every_default_is_a_valid_value(kind: kinds.FaultKind) -> None:
    settings = kind.settings({})
    assert set(settings) == {o.name for o in kind.options}
    for option in kind.options:
        if option.choices:
            assert option.default in option.choices
        if option.default not in (None, ()):
            assert option.value(option.default, kind.name) == option.default


def test_one_table_of_options_for_scenarios_and_the_cli() -> None:
    bitrot = kinds.kind("bitrot")
    assert bitrot.settings({"count": "3"}) == {"count": 3, "mode": "uniform"}
    assert kinds.kind("deletion").settings({"whole_folder": True}, "cli") == {"count": 1, "whole_folder": True}
    with pytest.raises(UsageError, match="unknown option '--count' for a boot-wipe fault; allowed: none"):
        kinds.kind("boot-wipe").settings({"count": 3}, "cli")
    with pytest.raises(UsageError, match="unknown option '--days' for a ransomware fault"):
        kinds.kind("ransomware").settings({"days": 2}, "cli")  # slow ransomware lives on the simulated clock
    with pytest.raises(UsageError, match="unknown option 'run'"):
        kinds.kind("crash-during-protect").settings({"run": "workbench cleanup"})  # a cell kills its own run
    with pytest.raises(UsageError, match="one of uniform, clustered, not 'lumpy'"):
        bitrot.settings({"mode": "lumpy"})
    assert kinds.kind("crash-during-protect").settings({"run": "workbench a 'b c'"}, "cli")["run"] == [
        "workbench", "a", "b c"]


def test_a_scenario_file_is_checked_against_the_table() -> None:
    def scenario(**fault):
        return scenario_from_data({"name": "s", "faults": [{"kind": "bitrot", "at": "day 1 10:00", **fault}],
                                   "detect_at": "day 2 09:00"}, "s.yaml")

    assert scenario(mode="clustered").faults[0].option("count") == 8
    with pytest.raises(UsageError, match=r"s.yaml:0: mode of a bitrot fault is one of uniform, clustered"):
        scenario(mode="lumpy")
    with pytest.raises(UsageError, match="unknown option 'under' for a bitrot fault; allowed: count, mode"):
        scenario(under="home")


def test_slow_ransomware_strikes_once_a_day() -> None:
    assert strike_hours(FaultSpec("ransomware", 35, {"days": 3})) == [35, 59, 83]
    assert strike_hours(FaultSpec("deletion", 35)) == [35]
    assert FaultSpec("crash-during-protect", 3).option("after_fraction") == 0.5


class FakeDisk:
    """Records how the dispatcher handles the mount before the injector runs."""

    def __init__(self, root: Path) -> None:
        self.image, self.root, self.calls = root / "disk.img", root, []

    def mount(self) -> Path:
        self.calls.append("mount")
        return self.root

    def unmount(self) -> None:
        self.calls.append("unmount")

    def bitrot(self, **options) -> FaultRecord:
        self.calls.append(("bitrot", options["count"], options["mode"], options["folders"]))
        return FaultRecord(kind="bitrot", seed=options["seed"], time="", target=str(self.image))


def test_the_one_dispatch_mounts_or_detaches_as_the_table_says(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def spy(strike: kinds.Strike) -> list[FaultRecord]:
        seen.append((strike.root, strike.options, strike.folders))
        return []

    monkeypatch.setattr(kinds, "KINDS", tuple(dataclasses.replace(k, injector=spy) if k.name == "deletion" else k
                                              for k in kinds.KINDS))
    disk = FakeDisk(tmp_path)
    kinds.strike("deletion", disk, options={"count": 2}, seed=1, at=None, folders=["home/a"])
    assert disk.calls == ["mount"] and seen == [(tmp_path, {"count": 2, "whole_folder": False}, ("home/a",))]
    (record,) = kinds.strike("bitrot", disk, options={}, seed=4, at=None, folders=["home"])
    assert disk.calls[1:] == ["unmount", ("bitrot", 8, "uniform", ("home",))] and record.seed == 4


# ------------------------------------------------------------------------------------------ the docs

def render_docs() -> str:
    return ("# Strategies and fault kinds\n\n"
            "Generated from `workbench/strategies/catalog.py` and `workbench/faults/kinds.py` "
            "(`WORKBENCH_WRITE_DOCS=1 pytest tests/cli/test_tables.py` writes it again); edit those, not this.\n\n"
            "## Strategies\n\n"
            "A strategy is named as the results name it; an engine other than the workbench's own follows a "
            "slash and a variant a colon: `STRATEGY[/ENGINE][:VARIANT]`, e.g. `mirror-sync:checksum`. The first "
            "variant is the default.\n\n"
            + catalog.markdown() +
            "\n## Fault kinds\n\n"
            "Scenario files and `workbench fault inject` name kinds and options alike (`whole_folder` in YAML "
            "is `--whole-folder` on the command line); an option left out takes its default. `mounted` faults "
            "work through the mounted filesystem; `detached` ones write the raw bytes of the unmounted image; "
            "`target` ones strike what a strategy keeps; `process` kills a running protect.\n\n"
            + kinds.markdown())


def test_the_docs_show_the_tables_as_they_are() -> None:
    if os.environ.get("WORKBENCH_WRITE_DOCS"):
        DOC.write_text(render_docs())
    assert DOC.read_text() == render_docs(), "docs/tables.md is stale: run WORKBENCH_WRITE_DOCS=1 pytest " \
                                             "tests/cli/test_tables.py"
