"""The command ends without the interpreter's teardown only when that loses nothing (``cli.main.exit_fast``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: A module-level object whose finaliser only the interpreter's teardown runs: it says whether teardown ran.
_PROBE = """
import sys, threading, time
from workbench.cli.main import exit_fast

class Teardown:
    def __del__(self):
        sys.stderr.write("teardown ran\\n")

probe = Teardown()
print("printed before the exit")
{setup}
exit_fast(7)
"""


def _run(setup: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _PROBE.format(setup=setup)], capture_output=True, text=True,
                          timeout=60)


def test_with_nothing_left_to_finish_the_teardown_is_skipped() -> None:
    done = _run("")
    assert done.returncode == 7
    assert done.stdout == "printed before the exit\n"  # flushed, though stdout is a pipe (block-buffered)
    assert "teardown ran" not in done.stderr


def test_a_file_left_open_for_writing_gets_the_normal_exit_and_keeps_its_data(tmp_path: Path) -> None:
    out = tmp_path / "left-open.txt"
    done = _run(f"kept = open({str(out)!r}, 'w')\nkept.write('buffered, not yet written')")
    assert done.returncode == 7 and "teardown ran" in done.stderr
    assert out.read_text() == "buffered, not yet written"


def test_a_thread_still_running_gets_the_normal_exit_and_finishes(tmp_path: Path) -> None:
    out = tmp_path / "late.txt"
    done = _run(f"threading.Thread(target=lambda: (time.sleep(0.3), open({str(out)!r}, 'w').write('done'))).start()")
    assert done.returncode == 7 and "teardown ran" in done.stderr
    assert out.read_text() == "done"


def test_the_command_exits_with_the_code_main_returns() -> None:
    done = subprocess.run([sys.executable, "-m", "workbench", "cleanup", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "cleanup" in done.stdout
    refused = subprocess.run([sys.executable, "-m", "workbench", "manifest", "/nonexistent-folder", "--out", "m.json"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
