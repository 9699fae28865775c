"""The RPO rule, how damage reached a target, and lost versions: pure functions of records, no root."""

from __future__ import annotations

import json
import math

from workbench.experiment.clock import DEFAULT_START
from workbench.experiment.damage_path import RunCopy, run_copy, target_damage_by
from workbench.experiment.scoring import Rpo, TruthState, rpo, versions_lost
from workbench.strategies.base import RestorePoint
from workbench.truth.manifest import Manifest, ManifestEntry


def _file(path: str, content: str) -> ManifestEntry:
    return ManifestEntry(path=path, kind="file", size=len(content), mode=0o100644, uid=0, gid=0, mtime_ns=0,
                         hash=content)


def _manifest(**files: str) -> Manifest:
    return Manifest(entries={p.replace("__", "/"): _file(p.replace("__", "/"), c) for p, c in files.items()})


PREFAULT = TruthState(30, _manifest(home__a="a2", home__b="b1", etc__os="os2"))


def test_what_came_back_is_as_old_as_the_newest_true_state_that_held_it() -> None:
    history = [TruthState(5, _manifest(home__a="a1", home__b="b1", etc__os="os1"))]
    assert rpo(PREFAULT, history, PREFAULT.manifest).hours == 0.0
    stale = rpo(PREFAULT, history, _manifest(home__a="a1", home__b="b1", etc__os="os2"))
    assert stale.hours == 25.0 and stale.oldest == ("home/a", 25.0) and not stale.data_lost_for_good
    assert rpo(PREFAULT, [*history, TruthState(20, _manifest(home__a="a1"))],
               _manifest(home__a="a1", home__b="b1", etc__os="os2")).hours == 10.0, "a1 was still true at 20"


def test_in_scope_data_a_point_once_held_and_that_did_not_come_back_is_lost_for_good() -> None:
    history = [TruthState(5, _manifest(home__a="a1", home__b="b1"))]
    deleted = rpo(PREFAULT, history, _manifest(home__a="a2", etc__os="os2"))
    assert math.isinf(deleted.hours) and deleted.data_lost_for_good and deleted.lost_for_good == ("home/b",)
    encrypted = rpo(PREFAULT, history, _manifest(home__a="a2", home__b="CIPHER", etc__os="os2"))
    assert encrypted.data_lost_for_good, "content that never was a true version did not come back"


def test_a_file_born_after_the_newest_point_is_the_window_the_rpo_measures() -> None:
    history = [TruthState(5, _manifest(home__a="a1"))]  # b was born after hour 5
    got = rpo(PREFAULT, history, _manifest(home__a="a1", etc__os="os2"))
    assert got.hours == 25.0 and not got.data_lost_for_good
    assert rpo(PREFAULT, [], _manifest(home__a="a2", etc__os="os2")).data_lost_for_good, "no point at all"


def test_a_failed_run_held_nothing() -> None:
    history = [TruthState(5, _manifest(home__a="a1")), TruthState(20, _manifest(home__a="a2", home__b="b1"),
                                                                  held=False)]
    got = rpo(PREFAULT, history, _manifest(home__a="a2", etc__os="os2"))
    assert got.hours == 25.0 and not got.data_lost_for_good, "b was never in a point: lost within the window"


def test_a_restored_file_the_prefault_tree_lacks_leaves_the_rpo_alone() -> None:
    history = [TruthState(5, _manifest(home__a="a1", home__b="b1", home__gone="g1", etc__os="os1"))]
    got = rpo(PREFAULT, history, _manifest(home__a="a2", home__b="b1", home__gone="g1", etc__os="os2"))
    assert got.hours == 0.0 and not got.data_lost_for_good, "deleted on purpose, brought back by a listing restore"


def test_loss_outside_the_scope_leaves_the_rpo_alone() -> None:
    history = [TruthState(5, _manifest(home__a="a1", home__b="b1", etc__os="os1"))]
    homes_back = _manifest(home__a="a2", home__b="b1")
    assert rpo(PREFAULT, history, homes_back, ("home",)).hours == 0.0
    assert rpo(PREFAULT, history, homes_back).data_lost_for_good, "the whole tree's scope counts etc/os"
    assert math.isnan(rpo(PREFAULT, history, homes_back, ("srv",)).hours), "nothing in scope"


def test_json_has_no_infinity_so_an_unbounded_rpo_is_null_there() -> None:
    lost = Rpo(math.inf, ("home/b",)).to_json()
    assert lost["rpo_hours"] is None and lost["data_lost_for_good"] is True
    assert json.loads(json.dumps(lost, allow_nan=False)) == lost
    assert Rpo(3.0, oldest=("home/a", 3.0)).to_json()["rpo_hours"] == 3.0


RANSOM = {"kind": "ransomware", "files": ["home/a"], "details": {
    "encrypted": [{"file": "home/a", "renamed_to": "home/a.locked"}], "notes": [{"file": "home/NOTE.txt"}]}}
DELETION = {"kind": "deletion", "files": ["home/docs/x", "home/docs/y"], "details": {}}


def test_a_mirror_run_that_wrote_or_removed_what_the_fault_touched_propagated_it() -> None:
    wrote = RunCopy(True, frozenset({"a.locked"}), frozenset())
    removed_folder = RunCopy(True, frozenset(), frozenset({"docs"}))
    elsewhere = RunCopy(True, frozenset({"other"}), frozenset({"gone"}))
    before = RunCopy(False, frozenset({"a.locked"}), frozenset({"docs"}))
    assert target_damage_by([RANSOM], [wrote], tree_root="home") == "propagation"
    assert target_damage_by([DELETION], [removed_folder], tree_root="home") == "propagation"
    assert target_damage_by([RANSOM, DELETION], [elsewhere, before], tree_root="home") == "none"


def test_the_injector_reaching_the_target_is_an_attack_and_wins() -> None:
    walked = {"kind": "ransomware-targets", "files": ["/t/mirror/a.locked"], "details": {}}
    wrote = RunCopy(True, frozenset({"a.locked"}), frozenset())
    assert target_damage_by([RANSOM, walked], [wrote], tree_root="home") == "attack"
    assert target_damage_by([{"kind": "target-corruption", "files": ["pack-1"]}], []) == "attack"
    assert target_damage_by([{"kind": "ransomware-targets", "files": []}], []) == "none", "nothing was reachable"


def test_counting_engines_propagate_content_damage_but_not_a_deletion() -> None:
    changed = RunCopy(True, changes=3)
    assert target_damage_by([RANSOM], [changed]) == "propagation"
    assert target_damage_by([DELETION], [changed]) == "none", "a versioned target still holds what it held"
    assert target_damage_by([RANSOM], [RunCopy(True, changes=0)]) == "none"


def test_raid1_mirrors_what_goes_through_the_filesystem_only() -> None:
    assert target_damage_by([DELETION], [], filesystem=True) == "propagation"
    assert target_damage_by([{"kind": "bitrot", "files": ["home/a"]}], [], filesystem=True) == "none"


def test_each_engines_point_says_what_its_run_copied() -> None:
    now = DEFAULT_START
    mirror = run_copy(RestorePoint("now", now, "sync", extra={"written": ["a"], "removed": ["b"]}), after_fault=True)
    assert (mirror.written, mirror.removed) == (frozenset({"a"}), frozenset({"b"}))
    assert run_copy(RestorePoint("s", now, "full", extra={"changed_files": 2}), after_fault=True).changes == 2
    assert run_copy(RestorePoint("c", now, "clone", extra={"blocks_changed": 0}), after_fault=True).changes == 0


def test_a_version_is_lost_when_no_tree_holds_its_content_under_any_name() -> None:
    edits = [{"kind": "conflicting-edits", "details": {"versions": [
        {"side": "copy", "path": "home/a", "hash": "theirs", "size": 6},
        {"side": "source", "path": "home/a", "hash": "mine", "size": 4}]}}]
    both = _manifest(home__a="theirs", home__a_conflict="mine")
    assert versions_lost(edits, both) == 0
    assert versions_lost(edits, _manifest(home__a="mine"), _manifest(a="mine")) == 1
    assert versions_lost(edits, _manifest(home__a="mine"), _manifest(a="theirs")) == 0, "the copy still has it"
    assert math.isnan(versions_lost([RANSOM], both))
