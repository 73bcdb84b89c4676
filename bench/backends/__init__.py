"""Model backends, found by name: scripted policies, hf, vllm, openai, anthropic.

Backends are imported lazily so that a CPU install never imports vLLM and an
offline run never imports an API SDK it does not use.
"""

from __future__ import annotations

import importlib
from typing import Any

from toolwise.bench.backends.base import AssistantTurn, Backend, Conversation, ParsedToolCall

BACKENDS: dict[str, str] = {
    "oracle": "toolwise.bench.backends.scripted:OracleBackend",
    "always": "toolwise.bench.backends.scripted:AlwaysBackend",
    "never": "toolwise.bench.backends.scripted:NeverBackend",
    "hf": "toolwise.bench.backends.hf:HFBackend",
    "vllm": "toolwise.bench.backends.vllm_engine:VLLMBackend",
    "openai": "toolwise.bench.backends.openai_api:OpenAIBackend",
    "anthropic": "toolwise.bench.backends.anthropic_api:AnthropicBackend",
}


def make_backend(name: str, **kwargs: Any) -> Backend:
    """Build the backend registered as ``name`` with its keyword arguments."""
    try:
        target = BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend '{name}'; choose one of: {', '.join(sorted(BACKENDS))}") from None
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)(**kwargs)


__all__ = ["BACKENDS", "AssistantTurn", "Backend", "Conversation", "ParsedToolCall", "make_backend"]
