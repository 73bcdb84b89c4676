"""Shared fixtures: offline hub settings, a tiny chat model, the toy task folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Tests never reach a model hub; make transformers/datasets fail fast instead of retrying.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Test helper modules (toy_domain, tiny_model) import by plain name under --import-mode=importlib.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama with a locally trained tokenizer and trl's Llama-3.1 tool template."""
    from tiny_model import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def toy_task_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the toy arithmetic task (toy_tool, 12 MCQ) built on the shared template."""
    from toy_domain import write_toy_task

    folder = tmp_path_factory.mktemp("toy-task")
    write_toy_task(folder)
    write_toy_task(folder, name="toy_numeric_tool", answer_type="numeric")
    return folder


@pytest.fixture(scope="session")
def toy_manager(toy_task_dir: Path):  # type: ignore[no-untyped-def]
    from lm_eval.tasks import TaskManager

    from toolwise.bench.lmeval_hooks import tasks_dir

    return TaskManager(include_path=[tasks_dir(), str(toy_task_dir)], include_defaults=False)
