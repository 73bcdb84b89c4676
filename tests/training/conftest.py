"""Fixtures of the training tests: the toy training domain and a scripted teacher."""

from __future__ import annotations

import sys
from pathlib import Path

# train_helpers imports by plain name, like the shared helpers one folder up.
sys.path.insert(0, str(Path(__file__).parent))
