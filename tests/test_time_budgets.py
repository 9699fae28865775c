"""Each test tier has its own time budget (pytest-timeout), and a test may name its own."""

from __future__ import annotations

import pytest

def test_pure(request): assert request.node.get_closest_marker("timeout").args == (60,)
@pytest.mark.root
def test_root(request): assert request.node.get_closest_marker("timeout").args == (300,)
@pytest.mark.slow
@pytest.mark.root
def test_slow(request): assert request.node.get_closest_marker("timeout").args == (600,)
@pytest.mark.timeout(7)
def test_own(request): assert request.node.get_closest_marker("timeout").args == (7,)
