"""Which model a run evaluated, from the ``config`` block lm-eval writes into every results file.

lm-eval names its output folder after ``pretrained``/``model``/... and falls back to a random id
(scripted policies get e.g. ``qdpv68r5``), so the folder name cannot identify a model; the
``model_args`` can.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any


def parse_model_args(model_args: str | dict[str, Any] | None) -> dict[str, str]:
    """``"backend=hf,pretrained=Qwen/Qwen2.5-7B"`` (or lm-eval 0.4.13's dict form) as a dict of strings."""
    if model_args is None:
        return {}
    if isinstance(model_args, dict):
        return {str(key): str(value) for key, value in model_args.items()}
    parsed: dict[str, str] = {}
    for part in str(model_args).split(","):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            parsed[key.strip()] = value.strip()
    return parsed


def short_model_name(value: str) -> str:
    """Hub ids (``org/name``) and API names stay as they are; local paths become their last folder's name."""
    looks_local = value.startswith(("/", "./", "../", "~")) or value.count("/") > 1 or value.endswith("/")
    return PurePosixPath(value.rstrip("/")).name if looks_local else value


def model_label(config: dict[str, Any], fallback: str = "unknown") -> str:
    """The model a results file's ``config`` describes.

    ``pretrained`` or ``model`` (hub id, local path's basename, API model name; a GGUF file's name when
    ``gguf_file`` picks one), with ``+adapter`` when a ``peft`` adapter is loaded on top; else the ``backend`` (scripted policies: ``oracle``, ``always``,
    ``never``); else lm-eval's model type; else ``fallback``.
    """
    args = parse_model_args(config.get("model_args"))
    base = args.get("pretrained") or args.get("model")
    if base:
        gguf = args.get("gguf_file")
        label = PurePosixPath(gguf).name.removesuffix(".gguf") if gguf else short_model_name(base)
        if args.get("peft"):
            label += "+" + short_model_name(args["peft"])
        return label
    if args.get("backend"):
        return args["backend"]
    return str(config.get("model") or fallback)
