"""Fixtures of the training tests: the toy training domain and a scripted teacher."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

# train_helpers imports by plain name, like the shared helpers one folder up.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """The tiny models train faster on one thread: their matrices are too small to pay for thread start-up."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
