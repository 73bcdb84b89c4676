"""A stand-in ``vllm`` package for tests on machines without vLLM: the classes the vllm backend uses.

``install(patch, LLM)`` puts ``vllm``, ``vllm.lora`` and ``vllm.lora.request`` in ``sys.modules`` for the
test (any ``pytest.MonkeyPatch``); each test file brings its own ``LLM`` (a subclass of :class:`TokenizerLLM`)
that replies as the test needs.
"""

from __future__ import annotations

import dataclasses
import sys
import types
from typing import Any


@dataclasses.dataclass
class EngineArgs:  # the fields of vllm.EngineArgs the tests use
    model: str = ""
    max_num_seqs: int = 256
    enforce_eager: bool = False
    pipeline_parallel_size: int = 1
    distributed_executor_backend: str | None = None


class SamplingParams:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


class LoRARequest:
    def __init__(self, name: str, lora_id: int, path: str) -> None:
        self.name, self.lora_id, self.path = name, lora_id, path


class TokenizerLLM:
    """``vllm.LLM`` as far as building the backend needs it: the engine arguments and the tokenizer."""

    def __init__(self, **kwargs: Any) -> None:
        from transformers import AutoTokenizer

        self.kwargs = kwargs
        self.tokenizer = AutoTokenizer.from_pretrained(kwargs["tokenizer"])

    def get_tokenizer(self) -> Any:
        return self.tokenizer


def install(patch: Any, llm: type) -> types.ModuleType:
    """Make ``import vllm`` give the stand-in with ``llm`` as ``vllm.LLM``; returns the module."""
    module = types.ModuleType("vllm")
    module.LLM, module.SamplingParams, module.EngineArgs = llm, SamplingParams, EngineArgs  # type: ignore[attr-defined]
    lora = types.ModuleType("vllm.lora")
    lora_request = types.ModuleType("vllm.lora.request")
    lora_request.LoRARequest = LoRARequest  # type: ignore[attr-defined]
    for name, value in (("vllm", module), ("vllm.lora", lora), ("vllm.lora.request", lora_request)):
        patch.setitem(sys.modules, name, value)
    return module
