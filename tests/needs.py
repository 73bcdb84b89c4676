"""What some tests need from the machine, written once: locally a test skips without it, in CI (``CI``
set) it fails instead, so a missing piece of the CI set-up is never hidden by a skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The offline copies of MATH and SciBench live beside the repository (never committed).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _missing(local: str, in_ci: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(in_ci)
    pytest.skip(local)


def offline_data(name: str) -> Path:
    """The folder of the offline copy of dataset ``name`` (e.g. ``math``)."""
    folder = (SHARED_DATA / name).resolve()
    if not folder.is_dir():
        _missing(
            f"offline {name} data not found at {folder}",
            f"offline {name} data missing at {folder}: CI must provide ../shared/data",
        )
    return folder


def sandbox() -> None:
    """The bubblewrap Python sandbox works here."""
    from toolwise.tools.python_sandbox import SandboxUnavailable, ensure_available

    try:
        ensure_available()
    except SandboxUnavailable as exc:
        _missing(
            f"Python sandbox unavailable here: {exc}",
            f"the Python sandbox must work in CI (install bubblewrap in .ci/run): {exc}",
        )
