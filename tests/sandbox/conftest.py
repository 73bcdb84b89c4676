"""Sandbox tests need bubblewrap. Locally they skip without it; in CI (``CI`` set) they fail instead."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import needs
import pytest

from toolwise.tools.python_sandbox import SandboxLimits, _runner, _tool, _totals

sys.path.insert(0, str(Path(__file__).parent))  # jail_leaks imports by plain name
from jail_leaks import assert_no_jail_left, leftovers

# Small budgets keep the hostile suite fast; the defaults are exercised by the timing and smoke tests.
FAST_LIMITS = SandboxLimits(wall_seconds=3, cpu_seconds=1, memory_mib=512, max_processes=16)
# Room for importing scipy and sympy on a busy machine.
STACK_LIMITS = SandboxLimits(wall_seconds=30, cpu_seconds=20)


@pytest.fixture(scope="session")
def sandbox_ready() -> None:
    needs.sandbox()


@pytest.fixture
def fast_tool(sandbox_ready: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxLimits]:
    """run_python with the small budgets, and a fresh cache so each case really runs."""
    monkeypatch.setattr(_tool, "TOOL_LIMITS", FAST_LIMITS)
    _tool.run_python.tool_spec.clear_cache()  # type: ignore[attr-defined]
    yield FAST_LIMITS
    _tool.run_python.tool_spec.clear_cache()  # type: ignore[attr-defined]


@pytest.fixture
def totals(sandbox_ready: None) -> Iterator[None]:
    """A machine that caps the snippet's totals (root, cgroups); afterwards none of this process's enclosures is left."""
    if _totals.opted_out() or _totals.support():
        pytest.skip(f"this machine cannot enforce totals: {_totals.support() or 'opted out'}")
    yield
    assert leftovers() == ([], [])


@pytest.fixture
def fresh_probe() -> Iterator[None]:
    _runner.reset_probe()
    yield
    _runner.reset_probe()


@pytest.fixture
def stack_tool(sandbox_ready: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxLimits]:
    """run_python with the default-sized budget (scientific imports), fresh cache."""
    monkeypatch.setattr(_tool, "TOOL_LIMITS", STACK_LIMITS)
    _tool.run_python.tool_spec.clear_cache()  # type: ignore[attr-defined]
    yield STACK_LIMITS
    _tool.run_python.tool_spec.clear_cache()  # type: ignore[attr-defined]


@pytest.fixture
def no_jail_left():  # type: ignore[no-untyped-def]
    """The checker itself (jail_leaks.assert_no_jail_left), for tests: it counts only this process's jails."""
    return assert_no_jail_left
