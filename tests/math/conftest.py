"""The offline copies of MATH and SciBench live in ../shared/data beside the repository (never committed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _folder(name: str) -> Path:
    folder = (SHARED_DATA / name).resolve()
    if not folder.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"offline {name} data missing at {folder}: CI must provide ../shared/data")
        pytest.skip(f"offline {name} data not found at {folder}")
    return folder


@pytest.fixture(scope="session")
def math_dir() -> Path:
    return _folder("math")


@pytest.fixture(scope="session")
def scibench_dir() -> Path:
    return _folder("scibench")


@pytest.fixture
def offline_sources(math_dir: Path, scibench_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point both loaders at the local copies (no hub attempt)."""
    monkeypatch.setenv("TOOLWISE_MATH_DATA", str(math_dir))
    monkeypatch.setenv("TOOLWISE_SCIBENCH_DATA", str(scibench_dir))


@pytest.fixture(scope="session")
def sandbox_ready() -> None:
    """The oracle's reference call runs in the bubblewrap sandbox (tests/sandbox says more when it fails)."""
    from toolwise.tools.python_sandbox import SandboxUnavailable, ensure_available

    try:
        ensure_available()
    except SandboxUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the Python sandbox must work in CI (install bubblewrap in .ci/run): {exc}")
        pytest.skip(f"Python sandbox unavailable here: {exc}")
