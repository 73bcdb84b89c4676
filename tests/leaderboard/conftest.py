"""Leaderboard test helpers: hand-made lm-eval output folders (lb_results) importable by plain name."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def artifacts_dir(tmp_path: Path) -> Path:
    """Where browser screenshots go: $TOOLWISE_ARTIFACTS when set (CI keeps it), else the test's tmp_path."""
    folder = Path(os.environ.get("TOOLWISE_ARTIFACTS") or tmp_path) / "leaderboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
