"""Continuous mirror: changes by an independent process reach the mirror; events and delays are recorded."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from workbench.strategies.mirror.continuous import ContinuousMirror

# watchdog's own noise when a folder is made and filled at once (see continuous.py)
pytestmark = pytest.mark.filterwarnings("ignore:Callback with id:RuntimeWarning")


def _eventually(check, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def test_a_shell_writing_into_the_source_reaches_the_mirror(workspace: Path) -> None:
    src, dst = workspace / "src", workspace / "dst"
    (src / "keep").mkdir(parents=True)
    (src / "keep" / "old.txt").write_text("old\n")
    (src / "gone").mkdir()
    (src / "gone" / "x.txt").write_text("x\n")
    delay_s = 0.2
    with ContinuousMirror(src, dst, delay_s=delay_s) as mirror:
        assert (dst / "keep" / "old.txt").read_text() == "old\n"  # the initial sync
        subprocess.run(["sh", "-c", f"echo hi > '{src}/x' && mkdir -p '{src}/a/b' && echo deep > '{src}/a/b/y'"
                                    f" && rm -r '{src}/gone' && mv '{src}/keep/old.txt' '{src}/keep/new.txt'"],
                       check=True)
        bound_s = delay_s + 10.0  # generous: we poll, never assert tight timing
        assert _eventually(lambda: (dst / "x").exists() and (dst / "x").read_text() == "hi\n", bound_s)
        assert _eventually(lambda: (dst / "a" / "b" / "y").exists(), bound_s)
        assert _eventually(lambda: not (dst / "gone").exists(), bound_s)
        assert _eventually(lambda: (dst / "keep" / "new.txt").exists() and not (dst / "keep" / "old.txt").exists(),
                           bound_s)
        assert mirror.wait_idle()
    stats = mirror.stats.summary()
    assert stats["events"]["created"] >= 3 and stats["events"]["deleted"] >= 2 and stats["events"]["moved"] >= 1
    assert stats["batches"] >= 1 and stats["errors"] == []
    assert stats["delay_median_s"] is not None and stats["delay_median_s"] >= delay_s * 0.9  # debounce honoured
    assert len(mirror.stats.delays_s) == stats["paths_synced"] >= 4


def test_a_write_through_one_hard_link_reaches_every_name_in_the_mirror(workspace: Path) -> None:
    src, dst = workspace / "src", workspace / "dst"
    src.mkdir()
    (src / "key").write_text("old secret\n")
    (src / "key-link").hardlink_to(src / "key")
    with ContinuousMirror(src, dst, delay_s=0.1) as mirror:
        subprocess.run(["sh", "-c", f"printf 'new secret\\n' > '{src}/key-link'"], check=True)  # in place
        assert _eventually(lambda: (dst / "key-link").read_text() == "new secret\n")
        assert mirror.wait_idle()
    assert (dst / "key").read_text() == "new secret\n", "the other name of the same file changed too"
