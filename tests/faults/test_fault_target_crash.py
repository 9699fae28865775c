"""Target corruption (bits flipped in a repository or an image) and a real crash mid-run."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
from fault_helpers import FILES, changed_offsets, content, image_bytes

from workbench.disk.loop import loops_of
from workbench.errors import UsageError
from workbench.faults import corrupt_target, crash_during

pytestmark = pytest.mark.root


def _repository(workspace: Path) -> Path:
    repo = workspace / "repo"
    for name, size in FILES.items():
        (repo / "chunks" / name.replace("/", "_")).parent.mkdir(parents=True, exist_ok=True)
        (repo / "chunks" / name.replace("/", "_")).write_bytes(content(name, size))
    return repo


def test_repository_corruption_flips_exactly_the_recorded_bits_and_keeps_mtimes(workspace: Path) -> None:
    repo = _repository(workspace)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in repo.rglob("*") if p.is_file()}
    record = corrupt_target(repo, seed=8, count=10)
    assert len(record.bits) == 10
    for path, (data, mtime) in before.items():
        flips = [f for f in record.bits if f.path == str(path)]
        expected = bytearray(data)
        for flip in flips:
            expected[flip.offset] ^= 1 << flip.bit
        assert path.read_bytes() == bytes(expected)
        assert path.stat().st_mtime_ns == mtime
    assert record.files == sorted({str(Path(f.path).relative_to(repo)) for f in record.bits})


def test_image_corruption_hits_allocated_bytes_only(home_disk: Path) -> None:
    before = image_bytes(home_disk)
    record = corrupt_target(home_disk, seed=1, count=25)
    after = image_bytes(home_disk)
    assert changed_offsets(before, after) == sorted({f.offset for f in record.bits})
    fd = os.open(home_disk, os.O_RDONLY)
    try:
        for flip in record.bits:  # every flip landed in data, not in a hole
            assert os.lseek(fd, flip.offset, os.SEEK_DATA) == flip.offset
    finally:
        os.close(fd)


def test_target_corruption_is_repeatable_for_a_seed(workspace: Path) -> None:
    repo = _repository(workspace)
    first = corrupt_target(repo, seed=3, count=5, mode="clustered")
    corrupt_target(repo, seed=3, count=5, mode="clustered")  # flips the same bits back
    assert all(p.read_bytes() == content(n, FILES[n]) for n in FILES
               for p in [repo / "chunks" / n.replace("/", "_")])
    assert corrupt_target(repo, seed=3, count=5, mode="clustered").outcome() == first.outcome()


def _writer(out: Path) -> list[str]:
    """A child that writes 64 KiB every 20 ms into out, forever."""
    code = textwrap.dedent(f"""
        import time
        with open({str(out)!r}, "wb") as f:
            while True:
                f.write(b"x" * 65536); f.flush(); time.sleep(0.02)
    """)
    return [sys.executable, "-c", code]


def test_crash_when_a_file_grows_past_a_size(workspace: Path) -> None:
    out = workspace / "target" / "pack.bin"
    out.parent.mkdir()
    record = crash_during(_writer(out), when_path=out, min_bytes=300_000, watch=out.parent, timeout_s=30)
    assert record.details["killed"] and record.details["trigger"] == "file"
    assert record.details["returncode"] == -9
    size = out.stat().st_size
    assert record.details["existed"] == {"pack.bin": size} and size >= 300_000
    assert size < 2_000_000  # killed soon after, not left running


def test_crash_after_a_time_and_a_command_that_ends_first(workspace: Path) -> None:
    record = crash_during(_writer(workspace / "a.bin"), after_s=0.3, timeout_s=30)
    assert record.details["killed"] and record.details["trigger"] == "time"
    assert record.details["elapsed_s"] >= 0.3
    quick = crash_during([sys.executable, "-c", "pass"], after_s=30)
    assert not quick.details["killed"] and quick.details["returncode"] == 0
    with pytest.raises(UsageError):
        crash_during([sys.executable, "-c", "pass"])


def test_the_tool_a_killed_run_started_is_reaped_at_once(workspace: Path) -> None:
    """Adopted, not left to init: a zombie's pid still answers a signal, and restic would take its lock for live."""
    pidfile = workspace / "tool.pid"
    code = (f"import subprocess, time; tool = subprocess.Popen(['sleep', '60']); "
            f"open({str(pidfile)!r}, 'w').write(str(tool.pid)); time.sleep(60)")
    record = crash_during([sys.executable, "-c", code], when_path=pidfile, min_bytes=1, timeout_s=30)
    assert record.details["killed"] and record.details["orphans_reaped"] == 1
    with pytest.raises(ProcessLookupError):
        os.kill(int(pidfile.read_text()), 0)


def test_what_the_killed_run_left_attached_is_released(home_disk: Path, workspace: Path) -> None:
    flag = workspace / "mounted.flag"
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from workbench.disk.mounting import mounted
        with mounted(Path({str(home_disk)!r})):
            Path({str(flag)!r}).write_text("in")
            time.sleep(60)
    """)
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    record = crash_during([sys.executable, "-c", code], when_path=flag, timeout_s=30, env=env)
    assert record.details["killed"]
    assert any(r.startswith("unmounted ") for r in record.details["released"])
    assert any(r.startswith("detached ") for r in record.details["released"])
    assert loops_of(home_disk) == [], record.details["released"]
