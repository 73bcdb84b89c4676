"""Fixtures of the backend tests: no real keys, no real endpoints, a private response cache."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # backend_fakes imports by plain name

PROVIDER_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL")


@pytest.fixture(autouse=True)
def private_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own cache folder and none of the caller's API settings."""
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    cache = tmp_path / "toolwise-cache"
    monkeypatch.setenv("TOOLWISE_CACHE_DIR", str(cache))
    return cache
