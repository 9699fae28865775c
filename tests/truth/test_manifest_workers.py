"""Trees of many files are hashed in worker processes: the same manifest as threads, and the same errors."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable
from pathlib import Path

import pytest

from workbench import workers
from workbench.truth import manifest
from workbench.truth.manifest import take_manifest


def _tree(root: Path, files: int) -> Path:
    for n in range(files):
        folder = root / f"d{n // 50:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{n:05d}").write_bytes(n.to_bytes(4, "little") * (n % 97))
    os.link(root / "d000/f00001", root / "d000/hard")
    os.symlink("f00002", root / "d000/soft")
    os.setxattr(root / "d000/f00003", "user.tag", b"x")
    return root


@pytest.mark.parametrize("feed_entries", [16, 1024], ids=["fed during the walk", "fed after it"])
def test_worker_processes_give_the_same_manifest_as_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             feed_entries: int) -> None:
    root = _tree(tmp_path / "t", 300)
    monkeypatch.setattr(manifest, "WORKER_ENTRIES", 10)
    monkeypatch.setattr(manifest, "FEED_ENTRIES", feed_entries)
    fed: list[int] = []
    real = workers.Started.feed

    def feed(self: workers.Started, batch: list[object], cost: float) -> None:
        fed.append(len(batch))
        real(self, batch, cost)

    monkeypatch.setattr(workers.Started, "feed", feed)
    by_workers = take_manifest(root)
    by_threads = take_manifest(root, workers=2)
    assert sum(fed) == len(by_workers.entries), "the worker path was not taken for every entry"
    assert by_workers.digest() == by_threads.digest()
    assert by_workers.entries["d000/f00003"].xattrs == {"user.tag": "78"}
    assert by_workers.entries["d000/hard"].link_group == by_workers.entries["d000/f00001"].link_group == 1


def test_an_error_in_a_worker_is_raised_in_the_caller(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.write_bytes(b"soon gone")
    st = gone.lstat()
    batch = [("gone", st.st_mode, st.st_size, st.st_uid, st.st_gid, st.st_mtime_ns, st.st_blocks)]
    gone.unlink()  # vanished between the walk and the hashing
    with pytest.raises(FileNotFoundError):
        workers.run_share("workbench.truth.manifest:entries_of_batches", (str(tmp_path), [batch]))


def bus_error_when_mapped(share: int, *, mapped: bool) -> tuple[str, int]:
    """A worker's job that dies as a mapped page the disk cannot read kills one."""
    if mapped:
        os.kill(os.getpid(), signal.SIGBUS)
    return "read", share


def test_a_worker_killed_by_sigbus_is_done_again_by_one_that_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))  # where the worker finds this module
    assert workers.run_share(f"{__name__}:bus_error_when_mapped", 7) == ("read", 7)


def streamed_bus_error_when_mapped(share: tuple[str, Iterable[int]], *, mapped: bool) -> list[tuple[str, str, int]]:
    """A streamed job that dies as ``bus_error_when_mapped`` does, after reading its first item."""
    head, items = share
    got = iter(items)
    first = next(got, None)
    if mapped and first is not None:
        os.kill(os.getpid(), signal.SIGBUS)
    return [("read", head, item) for item in ([] if first is None else [first, *got])]


def test_a_streamed_share_comes_back_in_the_order_fed_even_after_sigbus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    with workers.started(f"{__name__}:streamed_bus_error_when_mapped", 2) as ready:
        ready.stream("head")
        for item, cost in enumerate([100, 1, 1, 1, 50, 1, 200, 1]):  # dealt unevenly by cost
            ready.feed(item, cost)
        assert ready.finish() == [("read", "head", item) for item in range(8)]


def streamed_fails_on_three(share: tuple[str, Iterable[int]], *, mapped: bool) -> list[int]:
    """A streamed job that stops with an error at its item 3, leaving the rest unread."""
    for item in share[1]:
        if item == 3:
            raise ValueError("item 3 is bad")
    return []


def test_an_error_in_a_streamed_share_is_raised_in_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    with workers.started(f"{__name__}:streamed_fails_on_three", 1) as ready, \
            pytest.raises(ValueError, match="item 3 is bad"):
        ready.stream("head")
        for item in range(2000):  # more than the worker reads before it stops: the rest meets a closed pipe
            ready.feed(item, 1)
        ready.finish()


def test_runs_split_by_cost_are_in_order_and_even_within_one_item() -> None:
    items = list(range(10))
    costs = [1] * 9 + [10]
    runs = workers.split_by_cost(items, costs, 2)
    assert [x for run in runs for x in run] == items
    assert runs == [list(range(9)), [9]]  # 9 against 10: the cut nearest half the cost
    assert workers.split_by_cost([1, 2, 3, 4], [10, 1, 1, 1], 2) == [[1], [2, 3, 4]]  # not 0 against 13
    assert workers.split_by_cost([], [], 2) == [[], []]
