"""Model backends, found by name: scripted policies, hf, vllm, openai, anthropic.

Backends are imported lazily so that a CPU install never imports vLLM and an
offline run never imports an API SDK it does not use.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from toolwise.bench.backends._retry import FatalBackendError
from toolwise.bench.backends.base import AssistantTurn, Backend, Conversation, ParsedToolCall
from toolwise.bench.sampling import parse_bool

BACKENDS: dict[str, str] = {
    "oracle": "toolwise.bench.backends.scripted:OracleBackend",
    "always": "toolwise.bench.backends.scripted:AlwaysBackend",
    "never": "toolwise.bench.backends.scripted:NeverBackend",
    "hf": "toolwise.bench.backends.hf:HFBackend",
    "vllm": "toolwise.bench.backends.vllm_engine:VLLMBackend",
    "openai": "toolwise.bench.backends.openai_api:OpenAIBackend",
    "anthropic": "toolwise.bench.backends.anthropic_api:AnthropicBackend",
}


def _check_arguments(name: str, backend_class: Any, kwargs: dict[str, Any]) -> None:
    """Refuse a misspelt argument up front, naming the ones the backend knows (a backend taking ``**kwargs``
    checks its own)."""
    try:
        parameters = inspect.signature(backend_class.__init__).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return
    known = sorted(n for n in parameters if n != "self")
    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        raise ValueError(
            f"{name} backend: unknown model_args {unknown}; known: {', '.join([*known, 'cache', 'cache_dir'])}"
        )


def make_backend(name: str, *, cache: Any = None, cache_dir: str | None = None, **kwargs: Any) -> Backend:
    """Build the backend registered as ``name`` with its keyword arguments.

    Responses are cached on disk (``CachedBackend``) when ``cache`` is true, or, if ``cache`` is not
    given, when the backend caches by default (the API backends and vLLM do). ``cache_dir`` moves the
    cache from its default place (``$TOOLWISE_CACHE_DIR`` or ``~/.cache/toolwise``).
    """
    try:
        target = BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend '{name}'; choose one of: {', '.join(sorted(BACKENDS))}") from None
    module_name, _, class_name = target.partition(":")
    backend_class = getattr(importlib.import_module(module_name), class_name)
    use_cache = getattr(backend_class, "cache_by_default", False) if cache is None else parse_bool(cache, "cache")
    _check_arguments(name, backend_class, kwargs)
    backend = backend_class(**kwargs)
    if not use_cache:
        return backend
    from toolwise.bench.backends.cache import CachedBackend

    return CachedBackend(backend, cache_dir)


__all__ = [
    "BACKENDS",
    "AssistantTurn",
    "Backend",
    "Conversation",
    "FatalBackendError",
    "ParsedToolCall",
    "make_backend",
]
