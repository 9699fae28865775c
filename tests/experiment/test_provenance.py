"""The run record says what produced it: tool versions asked through proc, a missing tool left out."""

from __future__ import annotations

from workbench import proc
from workbench.experiment import provenance


def test_tool_versions_come_through_proc_and_a_missing_tool_is_left_out(monkeypatch) -> None:
    asked: list[str] = []

    def version(tool: str) -> str | None:
        asked.append(tool)
        return None if tool == "btrfs" else f"{tool} 1.0"

    monkeypatch.setattr(proc, "version", version)
    found = provenance.versions()
    assert asked == list(provenance.TOOLS.values())
    assert found["mkfs.ext4"] == "mke2fs 1.0" and found["sfdisk"] == "sfdisk 1.0"
    assert "btrfs" not in found and found["workbench"]


def test_machine_facts_name_the_kernel_and_the_memory() -> None:
    facts = provenance.machine_facts()
    assert facts["cpus"] >= 1 and facts["memory_bytes"] > 0 and facts["kernel"]
