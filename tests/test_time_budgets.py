"""Each test tier has its own time budget (pytest-timeout), and a test may name its own."""

from __future__ import annotations

import pytest


def _budget(request: pytest.FixtureRequest) -> tuple:
    return request.node.get_closest_marker("timeout").args


def test_a_pure_test_gets_the_pure_budget(request: pytest.FixtureRequest) -> None:
    assert _budget(request) == (60,)


@pytest.mark.root
def test_a_root_test_gets_the_root_budget(request: pytest.FixtureRequest) -> None:
    assert _budget(request) == (300,)


@pytest.mark.slow
@pytest.mark.root
def test_a_slow_test_gets_the_slow_budget(request: pytest.FixtureRequest) -> None:
    assert _budget(request) == (600,)


@pytest.mark.timeout(7)
def test_a_test_may_name_its_own(request: pytest.FixtureRequest) -> None:
    assert _budget(request) == (7,)
