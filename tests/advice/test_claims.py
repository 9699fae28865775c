"""judge_claims(): the shipped claims file, and frozen tables that flip verdicts."""

from __future__ import annotations

import pytest
from frozen import row, table

from workbench.advice.claims import (
    FAILS,
    HOLDS,
    NO_DATA,
    PARTLY,
    UNTESTABLE,
    check_claims,
    judge_claims,
    load_claims,
    verdict_of,
)
from workbench.errors import UsageError

REQUIRED = {"image-restores-slower", "clone-full-size", "raid1-halves-capacity", "mirror-copies-damage",
            "backup-keeps-versions"}


def _verdicts(results, claims) -> dict[str, str]:
    return judge_claims(results, claims).set_index("id")["verdict"].to_dict()


def test_shipped_claims_load_and_include_the_issues_five():
    claims = load_claims()
    ids = [c.id for c in claims]
    assert len(ids) == len(set(ids))
    assert REQUIRED <= set(ids)
    untestable = [c for c in claims if c.untestable]
    assert untestable and all(not c.checks for c in untestable)
    assert any("Windows" in c.text for c in untestable)


def _restore_times(image_s: float, clone_s: float, backup_s: float) -> list[dict]:
    return [row(name, scenario, rto_s=seconds)
            for scenario in ("deletion", "ransomware")
            for name, seconds in (("image", image_s), ("clone", clone_s), ("backup", backup_s))]


def test_restore_time_claim_flips_with_the_measured_times():
    claims = [c for c in load_claims() if c.id == "image-restores-slower"]
    assert _verdicts(table(*_restore_times(30.0, 40.0, 10.0)), claims)["image-restores-slower"] == HOLDS
    assert _verdicts(table(*_restore_times(3.0, 4.0, 10.0)), claims)["image-restores-slower"] == FAILS
    assert _verdicts(table(*_restore_times(30.0, 4.0, 10.0)), claims)["image-restores-slower"] == PARTLY


def test_failed_recoveries_are_left_out_of_the_time_comparison():
    """A recovery that brought nothing true back (RPO NaN) is quick, and proves nothing about speed."""
    claims = [c for c in load_claims() if c.id == "image-restores-slower"]
    rows = _restore_times(30.0, 40.0, 10.0) + [row("image", "partition-wipe", rto_s=0.1, rpo_hours=float("nan")),
                                               row("backup", "partition-wipe", rto_s=2.0)]
    outcomes = check_claims(table(*rows), claims)
    assert "partition-wipe" not in set(outcomes["scenario"])
    assert _verdicts(table(*rows), claims)["image-restores-slower"] == HOLDS


def test_raid1_claim_needs_raid1_rows():
    claims = [c for c in load_claims() if c.id == "raid1-halves-capacity"]
    without = table(row("backup", "deletion"))
    assert _verdicts(without, claims)["raid1-halves-capacity"] == NO_DATA
    assert "raid1" in judge_claims(without, claims).loc[0, "evidence"]
    halves = table(row("raid1", "deletion", footprint_bytes=80_000_000, reserved_bytes=40_000_000,
                       usable_bytes=40_000_000, protected_bytes=40_000_000, space_amplification=2.0))
    assert _verdicts(halves, claims)["raid1-halves-capacity"] == HOLDS
    single = table(row("raid1", "deletion", footprint_bytes=44_000_000, reserved_bytes=40_000_000,
                       usable_bytes=80_000_000, protected_bytes=40_000_000, space_amplification=1.1))
    assert _verdicts(single, claims)["raid1-halves-capacity"] == FAILS
    half = table(row("raid1", "deletion", footprint_bytes=44_000_000, reserved_bytes=40_000_000,
                     usable_bytes=40_000_000, protected_bytes=40_000_000, space_amplification=1.1))  # no copy kept
    assert _verdicts(half, claims)["raid1-halves-capacity"] == PARTLY


def test_mirror_claim_flips_when_the_mirror_brings_the_data_back():
    claims = [c for c in load_claims() if c.id == "mirror-copies-damage"]
    copied = table(row("backup", "deletion", bytes_lost=1_000), row("backup", "ransomware", bytes_lost=1_000),
                   row("mirror-sync", "deletion", bytes_lost=500_000),
                   row("mirror-sync", "ransomware", bytes_lost=900_000, came_back_clean=False))
    assert _verdicts(copied, claims)["mirror-copies-damage"] == HOLDS
    spared = table(row("backup", "deletion", bytes_lost=1_000), row("backup", "ransomware", bytes_lost=1_000),
                   row("mirror-sync", "deletion", bytes_lost=0),
                   row("mirror-sync", "ransomware", bytes_lost=0, came_back_clean=True))
    assert _verdicts(spared, claims)["mirror-copies-damage"] == FAILS


def test_verdicts_agree_with_the_comparison_table():
    claims = load_claims()
    results = table(*_restore_times(30.0, 4.0, 10.0), row("mirror-sync", "ransomware", came_back_clean=False))
    outcomes = check_claims(results, claims)
    for judged in judge_claims(results, claims).itertuples():
        mine = outcomes[(outcomes["claim"] == judged.id) & outcomes["passed"].notna()]
        assert judged.evaluated == len(mine)
        assert judged.passed == int(mine["passed"].astype(bool).sum())
        expected = UNTESTABLE if any(c.untestable for c in claims if c.id == judged.id) else \
            verdict_of(judged.passed, judged.evaluated)
        assert judged.verdict == expected


def test_a_broken_claims_file_is_refused_with_the_claim_named(tmp_path):
    bad = tmp_path / "claims.yaml"
    bad.write_text("claims:\n  - id: odd\n    text: something\n    checks:\n      - {left: 1, right: 2, op: '=>'}\n")
    with pytest.raises(UsageError, match="odd"):
        load_claims(bad)
    neither = tmp_path / "neither.yaml"
    neither.write_text("claims:\n  - id: vague\n    text: something\n")
    with pytest.raises(UsageError, match="vague"):
        load_claims(neither)


def test_variants_are_judged_apart():
    """Quick-check leaves rot alone on the mirror; checksum copies it over: a glob sees both, separately."""
    claims = [c for c in load_claims() if c.id == "mirror-cannot-stop-corruption"]
    results = table(row("mirror-sync", "bitrot", variant="quick-check", came_back_clean=True),
                    row("mirror-sync", "bitrot", variant="checksum", came_back_clean=False))
    outcomes = check_claims(results, claims).set_index("strategy")["passed"]
    assert outcomes.to_dict() == {"mirror-sync": False, "mirror-sync:checksum": True}
    assert _verdicts(results, claims)["mirror-cannot-stop-corruption"] == PARTLY


def _clone_and_image(clone_bytes: int, clone_disk: int, image_bytes: int) -> list[dict]:
    """A clone using ``clone_bytes`` of a ``clone_disk``-byte disk for 20 MB of data, and an image of it."""
    return [row("clone", "deletion", footprint_bytes=clone_bytes, reserved_bytes=clone_disk,
                protected_bytes=20_000_000, space_amplification=clone_bytes / 20_000_000),
            row("image", "deletion", footprint_bytes=image_bytes, reserved_bytes=image_bytes,
                protected_bytes=20_000_000, space_amplification=image_bytes / 20_000_000)]  # fmt: skip


def test_clone_size_claim_flips_with_the_clone_footprint():
    claims = [c for c in load_claims() if c.id == "clone-full-size"]
    whole_disk = table(*_clone_and_image(64_000_000, 64_000_000, 8_000_000))
    assert _verdicts(whole_disk, claims)["clone-full-size"] == HOLDS
    sparse_and_small = table(*_clone_and_image(6_000_000, 30_000_000, 8_000_000))
    assert _verdicts(sparse_and_small, claims)["clone-full-size"] == FAILS


def _versions(backup_points: int, mirror_points: int, backup_clean: bool) -> list[dict]:
    rows = [row("backup", scenario, points_at_fault=backup_points, came_back_clean=backup_clean)
            for scenario in ("deletion", "ransomware", "slow-ransomware", "bitrot")]
    return rows + [row("mirror-sync", scenario, points_at_fault=mirror_points)
                   for scenario in ("deletion", "slow-ransomware")]


def test_backup_versions_claim_flips_when_the_backup_holds_one_point():
    claims = [c for c in load_claims() if c.id == "backup-keeps-versions"]
    kept = table(*_versions(backup_points=6, mirror_points=1, backup_clean=True))
    assert _verdicts(kept, claims)["backup-keeps-versions"] == HOLDS
    one_point = table(*_versions(backup_points=1, mirror_points=1, backup_clean=False))
    assert _verdicts(one_point, claims)["backup-keeps-versions"] == FAILS
    only_clean = table(*_versions(backup_points=1, mirror_points=1, backup_clean=True))
    assert _verdicts(only_clean, claims)["backup-keeps-versions"] == PARTLY
