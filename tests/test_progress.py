"""Progress: engines report as they go, and the CLI draws it as a bar that ends full."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench import progress
from workbench.strategies.clone import SEGMENT, CloneStrategy


@pytest.mark.parametrize("quiet", [False, True])
def test_a_reporting_bar_ends_at_the_engines_total(monkeypatch: pytest.MonkeyPatch, quiet: bool) -> None:
    made = []
    real_bar = progress.bar
    monkeypatch.setattr(progress, "bar", lambda *a, **k: made.append(real_bar(*a, **k)) or made[-1])
    with progress.reporting("imaging", quiet=quiet) as update:
        for done in range(1, 6):
            update(done, 5)
        assert len(made) == 1 and made[0].total == 5 and made[0].disable is quiet
        assert made[0].n == (0 if quiet else 5)  # a quiet bar counts nothing


def test_nothing_is_drawn_when_the_engine_never_reports() -> None:
    with progress.reporting("syncing", quiet=False):
        pass  # no bar was made, so nothing to close or print


def test_the_clone_reports_every_segment(workspace: Path) -> None:
    source = workspace / "source.img"
    with open(source, "wb") as handle:
        handle.truncate(3 * SEGMENT + 5)
        handle.write(b"data" * 1000)
    calls: list[tuple[int, int]] = []
    CloneStrategy().protect(source, workspace / "clone.img", now=datetime.now(UTC),
                            progress=lambda done, total: calls.append((done, total)))
    assert calls == [(n, 4) for n in range(1, 5)]


def test_bars_are_drawn_on_a_terminal_or_in_a_notebook_only(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not progress.in_jupyter_kernel(), "a test runner is no kernel, whatever it imported"
    for name in ("CI", "WORKBENCH_QUIET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: False)
    monkeypatch.setattr(progress, "in_jupyter_kernel", lambda: False)
    assert progress.quiet_by_default(), "a pipe or a log file gets no bar"
    monkeypatch.setattr(progress, "in_jupyter_kernel", lambda: True)
    assert not progress.quiet_by_default(), "a notebook gets its widget bar"
    monkeypatch.setattr(progress, "in_jupyter_kernel", lambda: False)
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True)
    assert not progress.quiet_by_default()
    monkeypatch.setenv("WORKBENCH_QUIET", "1")
    assert progress.quiet_by_default()
