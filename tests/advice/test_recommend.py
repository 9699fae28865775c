"""recommend(): frozen tables whose numbers flip the answer, and the rules stated in its docstring."""

from __future__ import annotations

import math

from frozen import row, table

from workbench.advice import Needs, recommend

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
