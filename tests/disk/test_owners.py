"""Owner records: a pid is its owner only while the same process runs, and claims count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.disk import owners
from workbench.disk.owners import Owner


def test_the_running_process_is_a_live_owner_and_a_reused_pid_is_not(workspace: Path) -> None:
    me = Owner.current()
    assert me.pid == os.getpid() and me.alive()
    assert not Owner(me.pid, me.start_ticks + 1).alive()  # the same pid, another start: another process


def test_a_finished_process_is_a_dead_owner(workspace: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        owner = Owner.of(child.pid)
        assert owner is not None and owner.alive()
    finally:
        child.kill()
        child.wait()
    assert not owner.alive()
    assert Owner.of(child.pid) is None or Owner.of(child.pid) != owner


def test_claims_count_and_the_record_goes_with_the_last_release(workspace: Path) -> None:
    image, point = workspace / "pc.img", workspace / ".mnt" / "pc-x"
    owners.claim("images", image)
    owners.claim("images", image)
    with owners.claimed("mounts", point):
        (record,) = owners.records()
        assert record.owner == Owner.current()
        assert record.claims["images"] == [str(image), str(image)] and record.paths("mounts") == {point}
        assert owners.live_claims()["mounts"] == {point}
    owners.release("images", image)
    assert owners.live_claims()["images"] == {image}
    owners.release("images", image)
    owners.release("images", image)  # one too many: ignored
    assert owners.records() == [] and not any(owners.records_dir().iterdir())


def test_a_dead_owners_claims_are_not_live(workspace: Path) -> None:
    script = ("import sys; from pathlib import Path; from workbench.disk import owners; "
              "owners.claim('mounts', Path(sys.argv[1]))")
    subprocess.run([sys.executable, "-c", script, str(workspace / "m")], check=True,
                   env={**os.environ, "WORKBENCH_HOME": str(workspace)})
    (dead,) = owners.dead_records()
    assert dead.paths("mounts") == {workspace / "m"}
    assert json.loads(dead.path.read_text())["argv"].startswith(sys.executable)
    assert owners.live_claims()["mounts"] == set()
    owners.forget(dead)
    assert owners.records() == []


def test_an_unknown_kind_of_claim_is_a_bug(workspace: Path) -> None:
    with pytest.raises(AssertionError, match="not a kind of claim"):
        owners.claim("locks", workspace)
