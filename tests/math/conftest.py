"""The offline copies of MATH and SciBench live in ../shared/data beside the repository (never committed)."""

from __future__ import annotations

from pathlib import Path

import needs
import pytest


@pytest.fixture(scope="session")
def math_dir() -> Path:
    return needs.offline_data("math")


@pytest.fixture(scope="session")
def scibench_dir() -> Path:
    return needs.offline_data("scibench")


@pytest.fixture
def offline_sources(math_dir: Path, scibench_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point both loaders at the local copies (no hub attempt)."""
    monkeypatch.setenv("TOOLWISE_MATH_DATA", str(math_dir))
    monkeypatch.setenv("TOOLWISE_SCIBENCH_DATA", str(scibench_dir))


@pytest.fixture(scope="session")
def sandbox_ready() -> None:
    """The oracle's reference call runs in the bubblewrap sandbox (tests/sandbox says more when it fails)."""
    needs.sandbox()
