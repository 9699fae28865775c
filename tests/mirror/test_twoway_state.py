"""Two-way's bookkeeping, pure: which paths changed against the last state, and the state a run leaves."""

from __future__ import annotations

import random

from workbench.strategies.mirror.twoway import Signature, TwoWayResult, _Runner, changed_paths


def _sig(n: int) -> Signature:
    return ("f", n, 1_700_000_000_000_000_000 + n, 0o644, None)


def test_changed_paths_are_those_a_walk_over_every_path_finds() -> None:
    shuffle = random.Random(4)
    state = {f"p{n:04d}": _sig(n) for n in range(400)} | {"": ("d", 0, 0, 0o755, None)}
    sides = (dict(state), dict(state))
    for side in sides:  # modified, deleted, added, on each side on its own
        for path in shuffle.sample(sorted(state), 30):
            if shuffle.random() < 0.5:
                side[path] = _sig(shuffle.randrange(10_000))
            else:
                side.pop(path)
        side[f"new{shuffle.randrange(50)}"] = _sig(1)
    sides[0]["p0001"] = sides[1]["p0001"] = _sig(7)  # the same change on both sides is a change too
    walked = sorted(p for p in sides[0].keys() | sides[1].keys() | state.keys()
                    if p and (sides[0].get(p) != state.get(p) or sides[1].get(p) != state.get(p)))
    assert changed_paths(sides, state) == walked
    assert "p0001" in walked and "" not in walked


def test_the_new_state_takes_unsettled_then_skipped_then_settled_then_agreed() -> None:
    left = {"": _sig(0), "same": _sig(1), "differs": _sig(2), "copied": _sig(3), "raced": _sig(4),
            "stuck": _sig(5), "gone": _sig(6), "raced-gone": _sig(7)}
    right = {**left, "differs": _sig(20), "raced": _sig(40)}
    old = {"same": _sig(1), "raced": _sig(41), "stuck": _sig(5), "gone": _sig(6)}
    runner = _Runner(("/l", "/r"), ({}, {}), (left, right), TwoWayResult())
    runner.settled = {"copied": _sig(30), "gone": None, "raced": _sig(42), "stuck": _sig(50)}
    runner.skipped = {"raced", "raced-gone"}  # changed while we synced: the old state (none for raced-gone)
    runner.unsettled = {"stuck"}
    assert runner.new_state(old) == {"same": _sig(1), "copied": _sig(30), "raced": _sig(41)}
