"""Every notebook runs top to bottom (papermill) on the classroom profile with small parameters.

Each notebook writes its key facts as JSON to ``facts_path``; the tests assert on
those facts, that is on the data the notebook produced, never on printed text.
(``test_sources.py`` checks the notebooks without running them.)
Notebooks 02, 03, 05 and 06 share one small results set, made once per test run
(as root; without root they read the shipped examples/classroom run). 05 only reads: the form's
Measure button is the one way it measures (tests/advice/test_explorer_form.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
ROOT = os.geteuid() == 0
#: The shared results set: every strategy the explorer weighs (lab.compare's default), on a mistaken
#: deletion and on ransomware.
SCENARIOS = ("deletion", "ransomware")
DATA_SIZE = 8 << 20


def execute(name: str, out: Path, **parameters) -> dict:
    """Run a notebook with papermill in a fresh kernel; return the facts it wrote."""
    papermill = pytest.importorskip("papermill")
    facts = out / f"{Path(name).stem}.json"
    papermill.execute_notebook(str(NOTEBOOKS / name), str(out / name), parameters={**parameters,
                               "facts_path": str(facts)}, cwd=str(REPO), kernel_name="python3", progress_bar=False)
    return json.loads(facts.read_text())


@pytest.fixture(autouse=True)
def importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel is a child process: let it import the package from the checkout."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("WORKBENCH_QUIET", "1")


@pytest.fixture(scope="session")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small real results set for the whole run (root), else the shipped example."""
    if not ROOT:
        example = REPO / "examples" / "classroom"
        if not (example / "results.csv").exists():
            pytest.skip("needs root to make results, or the shipped examples/classroom")
        return example
    from workbench import lab

    home = tmp_path_factory.mktemp("ws")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_HOME", str(home))
        run = lab.compare("notebook-results", scenarios=SCENARIOS, profile="classroom", data_size=DATA_SIZE,
                          quiet=True)
    return run.folder


@pytest.mark.root
@pytest.mark.timeout(300)
def test_01_tour_breaks_and_restores_a_disk(tmp_path: Path):
    facts = execute("01_tour.ipynb", tmp_path, workspace_dir=str(tmp_path / "ws"), data_size="8M")
    assert facts["health_new"] is True
    assert set(facts["protected"]) == {"image", "backup", "clone", "mirror"}
    assert all(size > 0 for size in facts["protected"].values())
    assert facts["health_broken"] is False and facts["mount_after_wipe"] != "mounted"
    assert facts["health_restored"] is True
    judge = facts["judge"]
    assert judge["missing"] == judge["corrupted"] == judge["unexpected"] == judge["metadata"] == 0
    assert judge["intact"] > facts["files"]  # every file, plus the folders and links
    assert facts["boot_ok"] == {"image": True, "backup": False, "none": False}  # the shipped boot-check run
    assert facts["boot_verdicts"]["image__partition-wipe__r1"] == "booted"


@pytest.mark.root
@pytest.mark.timeout(300)
def test_04_mirror_holds_ciphertext_and_the_backup_restores_clean_files(tmp_path: Path):
    facts = execute("04_mirror_is_not_a_backup.ipynb", tmp_path, workspace_dir=str(tmp_path / "ws"))
    assert facts["encrypted"] > 0 and facts["deleted_files"] > 0
    for copy in ("mirror", "raid1", "clone"):
        assert facts[f"{copy}_locked_files"] > 0, copy
        assert facts[f"{copy}_has_deleted_folder"] is False, copy
        assert facts["counts"][copy]["missing"] >= facts["deleted_files"], copy
    assert facts["mirror_notes"] > 0
    back = facts["backup_restored"]
    assert back["corrupted"] == back["missing"] == back["locked"] == 0
    assert facts["counts"]["backup (day-0 snapshot)"]["unexpected"] == 0
    assert back["deleted_folder_back"] is True
    assert back["encrypted_files_back_clean"] == facts["encrypted"]
    dump = facts["hexdump"]
    assert dump["locked_as"].endswith(".locked")
    assert len(bytes.fromhex(dump["mirror"])) == len(bytes.fromhex(dump["backup"])) == 64
    assert dump["mirror"] != dump["backup"]
    capacity = facts["raid1_capacity"]
    assert capacity["usable_bytes"] * 2 == capacity["raw_bytes"]


@pytest.mark.timeout(300)
def test_02_time_and_space(tmp_path: Path, results_dir: Path):
    from workbench.results.store import load_results

    facts = execute("02_time_and_space.ipynb", tmp_path, results_dir=str(results_dir))
    results, _ = load_results(results_dir)
    assert set(facts["per_strategy"]) == set(results.loc[results["status"] == "ok", "strategy"])
    # the default sweep reads this run and the shipped sets: three data sizes, two churn rates,
    # each as the folder's own run record says
    sets = facts["sweep_sets"]
    assert str(results_dir.resolve()) in sets
    for folder, tags in sets.items():
        record = json.loads((Path(folder) / "run.json").read_text())
        assert tags["data_size_bytes"] == record["data_size_bytes"] or record["data_size_bytes"] is None, folder
        assert tags["churn_factor"] == (4.0 if "churn-x4" in record["profile"] else 1.0), folder
    assert facts["sweep_sizes"] == sorted({t["data_size_bytes"] for t in sets.values()})
    assert len(facts["sweep_sizes"]) >= 3
    assert facts["sweep_churn_factors"] == [1.0, 4.0]
    assert "deletion" in facts["sweep_scenarios"]
    # what the churn plot shows: a versioned backup keeps every change, so 4x the churn takes more room
    assert facts["churn_footprint"]["backup"]["x4"] > facts["churn_footprint"]["backup"]["x1"]
    if (results_dir / "cells").is_dir():
        assert facts["protect_runs"]["image"] > 0 and facts["protect_runs"]["backup"] > 0
    # what the notebook says at a glance: a clone ties up more than the image's whole footprint
    assert facts["clone_reserved_over_image_footprint"] > 1


@pytest.mark.slow
def test_02_which_tool_puts_the_engines_of_a_family_side_by_side(tmp_path: Path):
    frozen = REPO / "tests" / "report" / "frozen"  # four backup and two mirror engines (tests/report)
    facts = execute("02_time_and_space.ipynb", tmp_path, results_dir=str(frozen), sweep_dirs=[])
    assert facts["which_tool_engines"] == ["backup", "backup/borg", "backup/restic", "backup/rsnapshot",
                                           "mirror-sync", "mirror-sync/rsync"]


@pytest.mark.timeout(300)
def test_03_heatmap_cells_trace_to_their_rows(tmp_path: Path, results_dir: Path):
    from workbench.results.store import load_results

    facts = execute("03_recovery_under_faults.ipynb", tmp_path, results_dir=str(results_dir))
    results, _ = load_results(results_dir)
    ok = results[results["status"] == "ok"]
    assert set(facts["intact_fraction"]) == {f"{s}/{c}" for s, c in zip(ok["strategy"], ok["scenario"])}
    trace = facts["trace"]
    assert trace["cell"].startswith("mirror")
    assert trace["intact_fraction_from_rows"] == pytest.approx(facts["intact_fraction"][trace["cell"]])
    fractions = facts["intact_fraction"]
    for scenario in set(ok["scenario"]) & {"ransomware", "slow-ransomware"}:
        assert fractions[f"mirror-sync/{scenario}"] < fractions[f"backup/{scenario}"]
    if (results_dir / "cells").is_dir():
        assert trace["not_intact"] > 0
    from workbench.report.findings import findings
    assert facts["takeaways"] == [f.key for f in findings(results).sentences] and "most-back" in facts["takeaways"]


@pytest.mark.timeout(300)
def test_05_recommendation_is_backed_by_its_rows(tmp_path: Path, results_dir: Path):
    from workbench.results.store import load_results

    results, _ = load_results(results_dir)
    threats = sorted(set(results["scenario"]) & {"deletion", "ransomware", "slow-ransomware"})
    facts = execute("05_which_strategy.ipynb", tmp_path, results_dir=str(results_dir), threats=threats,
                    max_rto_s=600.0, max_space_ratio=10.0)
    assert facts["choice"], "some option answers something"
    outcomes = {(o["strategy"], o["scenario"]): o for o in facts["outcomes"]}
    for threat, answered in facts["answered"].items():
        if not answered:
            continue
        member = facts["by_threat"][threat]
        assert member in facts["choice"]
        rows = [r for r in facts["evidence"] if r["strategy"] == member.partition(":")[0] and r["scenario"] == threat]
        assert rows and all(r["came_back_clean"] is True for r in rows)
        damage = outcomes[(member, threat)]["damage_bytes"]
        assert all(r["bytes_lost"] <= facts["max_lost_share"] * damage for r in rows)
        assert all(r["rpo_hours"] <= facts["max_rpo_hours"] for r in rows)
    # a mirror that came back with ciphertext is never the whole answer to ransomware
    for threat in threats:
        mirror = outcomes.get(("mirror-sync", threat))
        if mirror and not mirror["came_back_clean"]:
            assert facts["choice"] != ["mirror-sync"]


@pytest.mark.timeout(300)
def test_05_without_root_reads_the_shipped_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The kernel is made to see a non-root user (os.geteuid patched at start-up): no run, the example, a note.
    (Reading never measures, as root either: only the form's Measure button does.)"""
    example = REPO / "examples" / "classroom"
    if not (example / "results.csv").exists():
        pytest.skip("needs the shipped examples/classroom")
    startup = tmp_path / "startup"
    startup.mkdir()
    (startup / "sitecustomize.py").write_text("import os\nos.geteuid = lambda: 65534\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(startup), os.environ["PYTHONPATH"]]))
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "ws"))
    facts = execute("05_which_strategy.ipynb", tmp_path, threats=["deletion", "slow-ransomware"])
    assert Path(facts["results_dir"]) == example
    assert facts["note"].startswith("Showing the shipped example results")
    assert {o["scenario"] for o in facts["outcomes"]} == {"deletion", "slow-ransomware"}
    assert not (tmp_path / "ws").exists() or not any((tmp_path / "ws").iterdir())  # nothing was measured


@pytest.mark.timeout(300)
def test_06_verdicts_agree_with_the_comparison_table(tmp_path: Path, results_dir: Path):
    from workbench.advice.claims import NO_DATA, UNTESTABLE, load_claims, verdict_of

    facts = execute("06_checking_the_article.ipynb", tmp_path, results_dir=str(results_dir))
    untestable = {c.id for c in load_claims() if c.untestable}
    by_id = {v["id"]: v for v in facts["verdicts"]}
    assert set(by_id) == {c.id for c in load_claims()}
    for claim_id, verdict in by_id.items():
        evaluated = [c for c in facts["comparisons"] if c["claim"] == claim_id and c["passed"] is not None]
        passed = sum(1 for c in evaluated if c["passed"])
        assert (verdict["evaluated"], verdict["passed"]) == (len(evaluated), passed), claim_id
        expected = UNTESTABLE if claim_id in untestable else verdict_of(passed, len(evaluated))
        assert verdict["verdict"] == expected, claim_id
    if "raid1" not in facts["strategies"]:
        assert by_id["raid1-halves-capacity"]["verdict"] == NO_DATA
    assert by_id["mirror-copies-damage"]["evaluated"] > 0
