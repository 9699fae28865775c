"""The explorer's form (``workbench.lab.explorer``), driven as a browser would drive it, without one.

Setting a widget's value is what the page does when a person types; the recommendation
text must follow. The table is frozen so the numbers that flip the answer are on the page.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from frozen import row, table

from workbench.advice import Needs
from workbench.errors import UsageError
from workbench.lab import Results
from workbench.lab import explorer as explorer_module
from workbench.lab.explorer import Explorer

pytest.importorskip("ipywidgets")

THREATS = ("deletion", "ransomware")


def _results(folder: Path = Path("frozen")) -> Results:
    """backup: small, RPO 20 h; image: four times the space, RPO 2 h; both recover both threats."""
    rows = table(row("none", "deletion", bytes_lost=1_000_000, rpo_hours=0.0, footprint_bytes=0, reserved_bytes=0),
                 row("none", "ransomware", bytes_lost=8_000_000, came_back_clean=False, rpo_hours=0.0,
                     footprint_bytes=0, reserved_bytes=0),
                 row("backup", "deletion", rpo_hours=20.0), row("backup", "ransomware", rpo_hours=20.0),
                 row("image", "deletion", rpo_hours=2.0, rto_s=40.0, footprint_bytes=40_000_000,
                     reserved_bytes=40_000_000),
                 row("image", "ransomware", rpo_hours=2.0, rto_s=40.0, footprint_bytes=40_000_000,
                     reserved_bytes=40_000_000),
                 row("image", "bitrot", rpo_hours=2.0))
    return Results(folder, rows, {"profile": "classroom"})


@pytest.fixture
def explorer(monkeypatch: pytest.MonkeyPatch) -> Explorer:
    monkeypatch.setattr(explorer_module, "can_measure", lambda: False)
    return Explorer(_results(), Needs(threats=THREATS, max_rpo_hours=24))


def headline(explorer: Explorer) -> str:
    return explorer.recommendation.value.split("</h3>")[0]


def test_every_input_the_recommender_takes_is_in_the_form_with_its_whole_label(explorer: Explorer):
    assert set(explorer.form) == {field.name for field in dataclasses.fields(Needs)}
    widgets = [*explorer.form.values(), *explorer.workload.values()]
    assert all(widget.style.description_width == "initial" for widget in widgets)
    assert explorer.needs() == Needs(threats=THREATS, max_rpo_hours=24)  # the form states what it was given
    assert explorer.form["threats"].options == ("bitrot", "deletion", "ransomware")  # what the rows measured


def test_changing_a_limit_changes_the_recommendation_text(explorer: Explorer):
    assert "<b>backup</b>, meets every need" in headline(explorer)
    first_map = bytes(explorer.figure.value)
    explorer.form["max_rpo_hours"].value = "6"  # the backup's 20 h RPO is too old now
    assert "<b>image</b>, meets every need" in headline(explorer)
    assert "RPO 20 h &gt; 6 h" in explorer.details.value  # the table says why backup dropped out
    drawn = bytes(explorer.figure.value)  # the options map, redrawn with the new pick circled
    assert drawn.startswith(b"\x89PNG") and drawn != first_map
    explorer.form["max_space_bytes"].value = "20M"  # and the image does not fit
    assert "<b>image</b>, comes closest" in headline(explorer)
    explorer.form["max_space_bytes"].value = ""  # blank: no limit
    explorer.form["max_rto_s"].value = "10"  # the image takes 40 s to come back
    assert "<b>none</b>" in headline(explorer)
    explorer.form["max_rpo_hours"].value = ""
    assert "<b>backup</b>, meets every need" in headline(explorer)


def test_changing_the_priority_changes_the_recommendation_text(explorer: Explorer):
    """Both meet every need at RPO 24 h: the backup takes less space, the image's restore point is newer."""
    assert "<b>backup</b>" in headline(explorer)
    explorer.form["prefer"].value = "restore-point"
    assert "<b>image</b>, meets every need" in headline(explorer)
    assert "the newest restore point (what you put first)" in explorer.recommendation.value
    explorer.form["prefer"].value = "recovery"  # the backup comes back in 5 s, the image in 40 s
    assert "<b>backup</b>" in headline(explorer)


def test_threats_share_and_profile_reach_the_recommender(explorer: Explorer):
    explorer.form["threats"].value = ("bitrot",)  # only the image measured it
    assert "<b>image</b>" in headline(explorer)
    assert explorer.advice.choice is not None and explorer.advice.choice.answered == {"bitrot": True}
    explorer.form["max_lost_share"].value = 0.5
    assert explorer.form["profile"].label == explorer_module.ANY_PROFILE and explorer.needs().profile is None
    explorer.form["profile"].value = "classroom"
    assert explorer.needs().max_lost_share == 0.5 and explorer.needs().profile == "classroom"
    assert explorer.form["profile"].options == ((explorer_module.ANY_PROFILE, ""), ("classroom", "classroom"))


def test_a_value_that_does_not_parse_names_its_field_and_keeps_the_advice(explorer: Explorer):
    before = explorer.recommendation.value
    explorer.form["max_rto_s"].value = "soon"
    assert "RTO: &#x27;soon&#x27; is not a number" in explorer.problem.value
    assert explorer.recommendation.value == before
    explorer.form["max_rto_s"].value = "120"
    assert explorer.problem.value == ""


def test_measuring_needs_root_and_the_button_is_disabled_while_it_runs(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(explorer_module, "can_measure", lambda: False)
    reader = Explorer(_results(), Needs(threats=THREATS))
    assert reader.measure_button.disabled and "needs root" in reader.measure_status.value

    monkeypatch.setattr(explorer_module, "can_measure", lambda: True)
    seen = {}

    def measure(**workload) -> Results:
        seen.update(workload, disabled=explorer.measure_button.disabled)
        rows = _results().rows
        return Results(Path("measured"), rows[rows["strategy"] != "backup"], {})

    explorer = Explorer(_results(), Needs(threats=THREATS), data_size="16M", measure=measure)
    assert not explorer.measure_button.disabled
    explorer.measure_button.click()
    assert seen == {"threats": list(THREATS), "profile": "classroom", "data_size": "16M", "change_factor": 1.0,
                    "disabled": True}
    assert not explorer.measure_button.disabled  # enabled again when it is done
    assert explorer.results.folder == Path("measured") and "<b>image</b>" in headline(explorer)

    def refuse(**workload) -> Results:
        raise UsageError("'16Q' is not a size")

    explorer._measure = refuse
    explorer.measure_button.click()
    assert "is not a size" in explorer.measure_status.value and not explorer.measure_button.disabled
    assert explorer.results.folder == Path("measured")  # the last results stay


def test_a_feared_threat_the_results_did_not_measure_is_named(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(explorer_module, "can_measure", lambda: False)
    explorer = Explorer(_results(), Needs(threats=("deletion", "disk-loss")))
    assert explorer.form["threats"].value == ("deletion",)
    assert "did not measure disk-loss" in explorer.source.value


def test_the_page_shows_the_form_first(explorer: Explorer):
    page = explorer.view()
    assert explorer_module.FORM_CLASS in page.children[0]._dom_classes
    assert page.children[1] is explorer.recommendation
