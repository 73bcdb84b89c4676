"""Sandbox tests need bubblewrap. Locally they skip without it; in CI (``CI`` set) they fail instead."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import needs
import pytest

from toolwise.tools.python_sandbox import SandboxLimits, _runner, _tool

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


def jail_processes(marker: str | None = None) -> list[int]:
    """Host pids of jail processes still alive (bootstrap or bubblewrap), or of any process naming ``marker``."""
    needle = (marker or "SETUP_FAILED = 125").encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline or (marker is None and cmdline.startswith(b"bwrap\0") and b"--seccomp" in cmdline):
            found.append(int(entry.name))
    return found


def assert_no_jail_left(marker: str | None = None, settle_seconds: float = 2.0) -> None:
    """Every process of the jail is gone shortly after the call returned (the PID namespace died)."""
    deadline = time.monotonic() + settle_seconds
    while (left := jail_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"jail processes outlived the call: {left}"


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
    """The checker itself, for tests (helpers in a conftest cannot be imported under importlib mode)."""
    return assert_no_jail_left
