"""The cyclic collector is paused inside the block only, and comes back after an error too."""

from __future__ import annotations

import gc

import pytest

from workbench.bulk import no_cycle_collection


def test_the_collector_is_paused_in_the_block_and_running_after() -> None:
    assert gc.isenabled()
    with no_cycle_collection():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), no_cycle_collection():
        raise ValueError("an error inside")
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    gc.disable()
    try:
        with no_cycle_collection():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
