"""Every check of the shipped claims could fail on real results: each gets a frozen table where it fails
and one where it holds, and a check without them is refused.

A check is named ``CLAIM#N`` (its place in the claim, from 1). Each table is judged on
that check alone, and every outcome it gives must go the expected way.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from frozen import row, table

from workbench.advice.claims import Claim, check_claims, load_claims

MiB = 1 << 20
Table = Callable[[], pd.DataFrame]


def _rto(image_s: float, backup_s: float, name: str = "image") -> pd.DataFrame:
    return table(row(name, "deletion", rto_s=image_s), row("backup", "deletion", rto_s=backup_s))


def _clone(footprint: int, reserved: int, protected: int, image: int = 18 * MiB, **more) -> pd.DataFrame:
    return table(row("clone", "deletion", footprint_bytes=footprint, reserved_bytes=reserved,
                     protected_bytes=protected, space_amplification=footprint / protected, **more),
                 row("image", "deletion", footprint_bytes=image, protected_bytes=protected))


def _clone_sweep(usable_low: int, usable_high: int) -> pd.DataFrame:
    """A clone at fill 0.25 and at 0.9, on the same 25 MiB of data, with these disk capacities."""
    return table(*(row("clone", "deletion", fill=fill, usable_bytes=usable, protected_bytes=25 * MiB)
                   for fill, usable in ((0.25, usable_low), (0.9, usable_high))))


def _raid1(usable: int, amplification: float = 2.2) -> pd.DataFrame:
    return table(row("raid1", "deletion", usable_bytes=usable, reserved_bytes=150 * MiB,
                     space_amplification=amplification))


def _lost(mirror: int, backup: int, scenario: str = "deletion") -> pd.DataFrame:
    return table(row("mirror-sync", scenario, bytes_lost=mirror), row("backup", scenario, bytes_lost=backup))


def _ransom(mirror_lost: int, mirror_clean: bool, reached_by: str) -> pd.DataFrame:
    """A mirror reached by its syncs (or not at all) in one scenario; in another the injector attacked its
    target directly, and that row, which would go the claim's way, must be left out."""
    rows = table(row("mirror-sync", "ransomware-offline", bytes_lost=mirror_lost, came_back_clean=mirror_clean),
                 row("backup", "ransomware-offline", bytes_lost=1_000),
                 row("mirror-sync", "ransomware", bytes_lost=900_000, came_back_clean=False),
                 row("backup", "ransomware", bytes_lost=1_000))
    return rows.assign(target_damage_by=[reached_by, "none", "attack", "none"])


def _points(backup: int, mirror: int = 1) -> pd.DataFrame:
    return table(row("backup", "deletion", points_at_fault=backup),
                 row("mirror-sync", "deletion", points_at_fault=mirror))


def _image_whole(**image) -> pd.DataFrame:
    return table(row("image", "partition-wipe", **image), row("backup", "partition-wipe", bytes_lost=25 * MiB))


#: CLAIM#N -> (a table where the check fails, one where it holds)
CASES: dict[str, tuple[Table, Table]] = {
    "image-restores-slower#1": (lambda: _rto(3.0, 10.0), lambda: _rto(30.0, 10.0)),
    "image-restores-slower#2": (lambda: _rto(3.0, 10.0, "clone"), lambda: _rto(30.0, 10.0, "clone")),
    "clone-full-size#1": (lambda: _clone(10 * MiB, 144 * MiB, 27 * MiB),
                          lambda: _clone(29 * MiB, 144 * MiB, 27 * MiB)),
    "clone-full-size#2": (lambda: _clone(13 * MiB, 144 * MiB, 27 * MiB),
                          lambda: _clone(29 * MiB, 144 * MiB, 27 * MiB)),
    "clone-full-size#3": (lambda: _clone(29 * MiB, 144 * MiB, 27 * MiB),
                          lambda: _clone(140 * MiB, 144 * MiB, 27 * MiB)),
    "clone-full-size#4": (lambda: _clone_sweep(30 * MiB, 30 * MiB), lambda: _clone_sweep(100 * MiB, 30 * MiB)),
    "raid1-halves-capacity#1": (lambda: _raid1(300 * MiB), lambda: _raid1(150 * MiB)),
    "raid1-halves-capacity#2": (lambda: _raid1(150 * MiB, 1.1), lambda: _raid1(150 * MiB, 2.2)),
    "mirror-copies-damage#1": (lambda: _lost(0, 1_000), lambda: _lost(500_000, 1_000)),
    "mirror-copies-damage#2": (lambda: _ransom(0, True, "none"), lambda: _ransom(900_000, False, "propagation")),
    "mirror-copies-damage#3": (lambda: _ransom(0, True, "none"), lambda: _ransom(900_000, False, "propagation")),
    "backup-keeps-versions#1": (lambda: _points(1), lambda: _points(6)),
    "backup-keeps-versions#2": (lambda: _points(1), lambda: _points(6)),
    "backup-keeps-versions#3": (lambda: table(row("backup", "ransomware", came_back_clean=False)),
                                lambda: table(row("backup", "ransomware", came_back_clean=True))),
    "image-recovers-from-malware#1": (lambda: table(row("image", "bitrot", came_back_clean=False)),
                                      lambda: table(row("image", "bitrot", came_back_clean=True))),
    "image-restores-whole-system#1": (lambda: _image_whole(partition_table_ok=False),
                                      lambda: _image_whole(partition_table_ok=True)),
    "image-restores-whole-system#2": (lambda: _image_whole(boot_ok=False), lambda: _image_whole(boot_ok=True)),
    "image-restores-whole-system#3": (lambda: _image_whole(bytes_lost=30 * MiB),
                                      lambda: _image_whole(bytes_lost=0)),
    "mirror-has-latest#1": (lambda: table(row("mirror-sync", "disk-loss", rpo_hours=float("inf")),
                                          row("backup", "disk-loss", rpo_hours=10.0)),
                            lambda: table(row("mirror-sync", "disk-loss", rpo_hours=2.0),
                                          row("backup", "disk-loss", rpo_hours=10.0))),
    "mirror-cannot-stop-corruption#1": (lambda: table(row("mirror-sync", "bitrot", came_back_clean=True)),
                                        lambda: table(row("mirror-sync", "bitrot", came_back_clean=False))),
}


def _checks() -> dict[str, Claim]:
    """Each check of the shipped claims, as a claim of its own: ``CLAIM#N`` -> that one check."""
    return {f"{claim.id}#{n}": Claim(claim.id, claim.text, (check,))
            for claim in load_claims() for n, check in enumerate(claim.checks, start=1)}


def test_every_shipped_check_has_a_failing_and_a_holding_table() -> None:
    assert set(_checks()) == set(CASES), "add (or drop) the frozen tables of a changed check in CASES"


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_check_fails_on_one_table_and_holds_on_the_other(name: str) -> None:
    check = _checks()[name]
    failing, holding = CASES[name]
    for results, expected in ((failing(), False), (holding(), True)):
        outcomes = check_claims(results, [check])
        judged = outcomes[outcomes["passed"].notna()]
        assert not judged.empty, f"{name}: nothing evaluated ({'; '.join(outcomes['missing'])})"
        assert (judged["passed"] == expected).all(), f"{name} should {'hold' if expected else 'fail'}:\n{judged}"


def test_a_check_on_a_column_the_results_lack_cannot_be_tested() -> None:
    """In results from before rows said how damage reached a target, a mirror's ransomware rows prove nothing."""
    check = _checks()["mirror-copies-damage#3"]
    older = table(row("mirror-sync", "ransomware", came_back_clean=False)).drop(columns=["target_damage_by"])
    outcomes = check_claims(older, [check])
    assert outcomes["passed"].isna().all()
    assert "target_damage_by" in outcomes.loc[0, "missing"]


def test_a_sweep_check_needs_two_fills() -> None:
    check = _checks()["clone-full-size#4"]
    one_fill = table(row("clone", "deletion", fill=0.5, usable_bytes=50 * MiB, protected_bytes=25 * MiB))
    outcomes = check_claims(one_fill, [check])
    assert outcomes["passed"].isna().all() and "two fills" in outcomes.loc[0, "missing"]


def test_per_fill_checks_give_one_outcome_per_fill_and_the_default_disk() -> None:
    check = _checks()["raid1-halves-capacity#2"]
    rows = table(*(row("raid1", "deletion", fill=fill, space_amplification=2.1) for fill in (0.25, 0.9)),
                 row("raid1", "deletion", space_amplification=2.3))
    outcomes = check_claims(rows, [check])
    assert len(outcomes) == 3 and outcomes["passed"].all()
    assert outcomes["fill"].iloc[:2].tolist() == [0.25, 0.9] and pd.isna(outcomes["fill"].iloc[2])
