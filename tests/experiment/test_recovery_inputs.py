"""Recovery works from what the user sees: the ground truth can be wrong in every byte and it does
the same; rot that reached the newest point is found in an older one."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cellkit import corrupted_paths, fault_files, scenario

from workbench.experiment.phases.ground_truth import GroundTruth
from workbench.experiment.scenario import load_scenario
from workbench.truth.manifest import Manifest

pytestmark = [pytest.mark.root, pytest.mark.slow]

# A folder deleted and a few files rotting, noticed the next morning, after the nightly image took the rot.
DELETION_AND_ROT = scenario("deletion-and-rot", [("bitrot", "day 1 12:00", {"count": 16, "mode": "clustered"}),
                                                 ("deletion", "day 1 14:00", {"whole_folder": True})], "day 2 09:00")


def _poisoned(manifest: Manifest) -> Manifest:
    """Every file's hash and size wrong, and every name too (recovery once read the truth's names)."""
    wrong = {}
    for path, entry in manifest.entries.items():
        if entry.kind == "file":
            entry = replace(entry, hash="f" * 64 if entry.hash != "f" * 64 else "0" * 64, size=entry.size + 1)
        wrong[path + ".poison"] = replace(entry, path=path + ".poison")
    return replace(manifest, entries=wrong)


def test_a_poisoned_ground_truth_changes_the_scores_and_not_one_recovery_action(run, monkeypatch) -> None:
    honest_row, honest = run("image", DELETION_AND_ROT)
    real_now = GroundTruth.now
    monkeypatch.setattr(GroundTruth, "now", lambda self: _poisoned(real_now(self)))
    poisoned_row, poisoned = run("image", DELETION_AND_ROT)
    whys = {take["why"] for take in honest["recovery"]["restored"]}
    assert {"missing", "rot"} <= whys, honest["recovery"]
    assert poisoned["recovery"] == honest["recovery"], "recovery saw something of the ground truth"
    assert honest_row["files_missing"] == honest_row["files_corrupted"] == 0
    assert poisoned_row["files_intact"] == 0 and poisoned_row["files_missing"] >= honest_row["files_intact"], \
        "only the scores moved: against the poisoned truth, nothing reads as intact"
    # The RTO is the recovery's own time, its targeted restores included, within the recovery phase.
    assert 0 < honest_row["rto_s"] <= honest["phases_s"]["recover"]


def test_rot_the_newest_image_took_is_restored_from_an_older_image_and_only_the_rot(run) -> None:
    row, details = run("image", load_scenario("bitrot"))
    rotten = fault_files(details, "bitrot")
    [struck] = [f["time"] for f in details["faults"] if f["kind"] == "bitrot"]
    newest = max(r["time"] for r in details["protect_runs"])
    assert rotten and newest > struck, "the newest image was taken after the rot: it holds the rotten copies"
    rot = [take for take in details["recovery"]["restored"] if take["why"] == "rot"]
    moved = {old: new for take in rot for old, new in take["moves"]}
    assert {moved.get(path, path) for take in rot for path in take["paths"]} == rotten, details["recovery"]
    assert all(take["point_time"] < newest for take in rot), "the good copies come from an older point"
    assert row["came_back_clean"] and row["files_corrupted"] == 0 and not corrupted_paths(details)
