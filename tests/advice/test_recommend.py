"""recommend(): frozen tables whose numbers flip the answer, and the rules stated in its docstring."""

from __future__ import annotations

import math

import pytest
from frozen import row, table

from workbench.advice import Needs, recommend
from workbench.advice.recommend import PRIORITIES
from workbench.errors import UsageError

THREATS = ("deletion", "ransomware")


def _baseline() -> list[dict]:
    """The unprotected disk: what each threat destroys."""
    return [row("none", "deletion", bytes_lost=1_000_000, rpo_hours=0.0, footprint_bytes=0, reserved_bytes=0),
            row("none", "ransomware", bytes_lost=8_000_000, came_back_clean=False, rpo_hours=0.0, footprint_bytes=0,
                reserved_bytes=0)]


def test_versioned_backup_wins_when_it_recovers_both_threats():
    results = table(*_baseline(),
                    row("backup", "deletion", bytes_lost=2_000), row("backup", "ransomware", bytes_lost=50_000),
                    row("mirror-sync", "deletion", variant="quick-check", bytes_lost=1_000_000, rpo_hours=0.0),
                    row("mirror-sync", "ransomware", variant="quick-check", bytes_lost=8_000_000,
                        came_back_clean=False, rpo_hours=0.0))
    advice = recommend(results, Needs(threats=THREATS, max_rpo_hours=24))
    assert advice.choice.members == ("backup",)
    assert advice.meets_all_needs
    assert advice.choice.answered == {"deletion": True, "ransomware": True}
    mirror = advice.outcomes.set_index(["strategy", "scenario"]).loc[("mirror-sync", "ransomware")]
    assert not mirror["recovered"] and "ciphertext" in mirror["why"]
    # the evidence is exactly the chosen strategy's measured rows for the feared threats
    assert set(advice.evidence["strategy"]) == {"backup"}
    assert sorted(advice.evidence["scenario"]) == ["deletion", "ransomware"]


def test_a_pair_when_no_single_strategy_covers_both():
    """Flip: the backup's ransomware row came back with ciphertext, the image's deletion lost too much."""
    results = table(*_baseline(),
                    row("backup", "deletion", bytes_lost=2_000),
                    row("backup", "ransomware", bytes_lost=4_000_000, came_back_clean=False),
                    row("image", "deletion", bytes_lost=900_000, footprint_bytes=30_000_000,
                        reserved_bytes=30_000_000),
                    row("image", "ransomware", bytes_lost=60_000, footprint_bytes=30_000_000,
                        reserved_bytes=30_000_000))
    advice = recommend(results, Needs(threats=THREATS))
    assert advice.choice.members == ("backup", "image")
    assert advice.choice.by_threat == {"deletion": "backup", "ransomware": "image"}
    assert advice.choice.space_bytes == 40_000_000  # the sum of both members' space
    assert any("no single strategy" in reason for reason in advice.reasons)


def test_rpo_and_space_limits_change_the_answer():
    results = table(*_baseline(),
                    row("backup", "deletion", rpo_hours=20.0), row("backup", "ransomware", rpo_hours=20.0),
                    row("image", "deletion", rpo_hours=2.0, footprint_bytes=50_000_000, reserved_bytes=50_000_000),
                    row("image", "ransomware", rpo_hours=2.0, footprint_bytes=50_000_000, reserved_bytes=50_000_000))
    assert recommend(results, Needs(threats=THREATS)).choice.members == ("backup",)  # less space
    strict = recommend(results, Needs(threats=THREATS, max_rpo_hours=6))
    assert strict.choice.members == ("image",)
    why = strict.outcomes.set_index(["strategy", "scenario"]).loc[("backup", "deletion"), "why"]
    assert "RPO 20 h > 6 h" in why
    tight = recommend(results, Needs(threats=THREATS, max_rpo_hours=6, max_space_bytes=20_000_000))
    assert not tight.meets_all_needs  # image answers both but does not fit; nothing else answers
    assert tight.choice.members == ("image",) and not tight.choice.within_space


def test_the_priority_breaks_the_tie_among_options_that_meet_every_need():
    results = table(*_baseline(),
                    row("backup", "deletion", rpo_hours=20.0, rto_s=50.0),
                    row("backup", "ransomware", rpo_hours=20.0, rto_s=50.0),
                    row("image", "deletion", rpo_hours=2.0, rto_s=8.0, footprint_bytes=50_000_000,
                        reserved_bytes=50_000_000),
                    row("image", "ransomware", rpo_hours=12.0, rto_s=9.0, footprint_bytes=50_000_000,
                        reserved_bytes=50_000_000),
                    row("clone", "deletion", rpo_hours=1.0, rto_s=30.0, footprint_bytes=80_000_000,
                        reserved_bytes=80_000_000),
                    row("clone", "ransomware", rpo_hours=1.0, rto_s=30.0, footprint_bytes=80_000_000,
                        reserved_bytes=80_000_000))
    picks = {prefer: recommend(results, Needs(threats=THREATS, prefer=prefer)).choice.members
             for prefer in PRIORITIES}
    assert picks == {"space": ("backup",), "recovery": ("image",), "restore-point": ("clone",)}
    advice = recommend(results, Needs(threats=THREATS, prefer="recovery"))
    assert any("the quickest recovery (what you put first)" in reason for reason in advice.reasons)
    with pytest.raises(UsageError, match="unknown priority 'speed'"):
        recommend(results, Needs(threats=THREATS, prefer="speed"))


def test_without_baseline_the_worst_loss_stands_in_and_the_advice_says_so():
    results = table(row("backup", "deletion", bytes_lost=1_000),
                    row("mirror-sync", "deletion", variant="quick-check", bytes_lost=500_000))
    advice = recommend(results, Needs(threats=("deletion",)))
    assert advice.choice.members == ("backup",)
    assert any("no 'none' row" in note for note in advice.notes)


def test_failed_cells_and_unmeasured_threats_count_against_a_strategy():
    results = table(*_baseline(),
                    row("backup", "deletion", status="failed", error="OperationFailed: disk full",
                        bytes_lost=math.nan, rpo_hours=math.nan),
                    row("image", "deletion", bytes_lost=1_000))
    advice = recommend(results, Needs(threats=("deletion", "bitrot")))
    assert advice.choice.members == ("image",)
    assert not advice.meets_all_needs  # bitrot was never measured
    assert any("'bitrot' was not measured" in note for note in advice.notes)
    failed = advice.outcomes.set_index(["strategy", "scenario"]).loc[("backup", "deletion")]
    assert not failed["recovered"] and "disk full" in failed["why"]


def test_booleans_read_back_from_csv_as_text_are_understood():
    """A CSV with a failed row stores True/False as text; 'False' must not count as clean."""
    results = table(*_baseline(),
                    row("mirror-sync", "ransomware", variant="quick-check", came_back_clean="False",
                        bytes_lost=0),
                    row("backup", "ransomware", came_back_clean="True", bytes_lost=0))
    advice = recommend(results, Needs(threats=("ransomware",)))
    assert advice.choice.members == ("backup",)
    assert not advice.outcomes.set_index("strategy").loc["mirror-sync", "recovered"]


def test_threats_as_one_comma_separated_string_and_none_measured():
    results = table(*_baseline(), row("backup", "deletion"), row("backup", "ransomware"))
    assert recommend(results, Needs(threats="deletion, ransomware")).choice.members == ("backup",)
    nothing = recommend(results, Needs(threats=("bitrot",)))
    assert nothing.choice is None and not nothing.meets_all_needs
    assert list(nothing.outcomes.columns)[:2] == ["strategy", "scenario"]  # an empty table keeps its columns


def test_a_needs_file_states_the_priority_and_a_wrong_one_is_refused(tmp_path):
    from workbench.advice.needs_file import in_words, load_needs

    needs = tmp_path / "needs.yaml"
    needs.write_text("needs:\n  threats: [ransomware]\n  prefer: restore-point\n")
    assert load_needs(needs).prefer == "restore-point"
    assert "first the newest restore point" in in_words(load_needs(needs))
    needs.write_text("needs:\n  prefer: speed\n")
    with pytest.raises(UsageError, match="prefer is one of space, recovery, restore-point, not 'speed'"):
        load_needs(needs)
