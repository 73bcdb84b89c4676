"""What a local model's replies depend on (for the response cache), and tool text made safe to render.

``weights_fingerprint`` names the weights, not just the model's name: the hub commit the files came from,
or for a local folder a hash of each weight file's name, size and first and last MiB (a fine-tuned
checkpoint saved to the same path gets a new fingerprint without hashing gigabytes).
``neutralise_special_tokens`` keeps a tool's output from writing a chat template's control tokens
(``<|im_start|>``, ``<|eot_id|>``): rendered verbatim they would become real turn boundaries.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth", ".ckpt", ".model", ".json", ".jinja", ".txt")
_EDGE_BYTES = 1 << 20
ZERO_WIDTH_SPACE = "\u200b"


def file_fingerprint(path: Path) -> str:
    """Name, size and a hash of the first and last MiB of a file."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    digest.update(f"{path.name}|{size}|".encode())
    with path.open("rb") as handle:
        digest.update(handle.read(_EDGE_BYTES))
        if size > 2 * _EDGE_BYTES:
            handle.seek(size - _EDGE_BYTES)
            digest.update(handle.read(_EDGE_BYTES))
    return digest.hexdigest()


def folder_fingerprint(folder: Path, only: str | None = None) -> str:
    """The fingerprint of a model folder's weight, config and tokenizer files (or of the one file ``only``)."""
    files = [folder / only] if only else sorted(p for p in folder.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in files:
        if path.suffix in WEIGHT_SUFFIXES and path.exists():
            digest.update(f"{path.relative_to(folder)}:{file_fingerprint(path)}\n".encode())
    return digest.hexdigest()[:20]


def weights_fingerprint(
    pretrained: str, revision: str | None = None, gguf_file: str | None = None, model: Any = None
) -> str:
    """``commit:<sha>`` for hub weights, ``files:<hash>`` for a local folder, else ``name:<id>@<revision>``."""
    local = Path(os.path.expanduser(pretrained))
    if local.is_dir():
        return "files:" + folder_fingerprint(local, gguf_file)
    commit = getattr(getattr(model, "config", None), "_commit_hash", None)
    if commit:
        return f"commit:{commit}"
    return f"name:{pretrained}@{revision or 'main'}"


def special_tokens(tokenizer: Any) -> list[str]:
    """Every token string the tokenizer treats as special (longest first, so none hides inside another)."""
    found = set(getattr(tokenizer, "all_special_tokens", []) or [])
    for token in (getattr(tokenizer, "added_tokens_decoder", None) or {}).values():
        if getattr(token, "special", False):
            found.add(str(token.content))
    return sorted((t for t in found if len(t) > 1), key=len, reverse=True)


def neutralise(text: str, tokens: Iterable[str]) -> str:
    """``text`` with a zero-width space after the first character of every special token in it: it reads the
    same, but the tokenizer no longer finds the token."""
    for token in tokens:
        if token in text:
            text = text.replace(token, token[0] + ZERO_WIDTH_SPACE + token[1:])
    return text


def neutralise_tool_messages(messages: list[dict[str, Any]], tokens: list[str]) -> list[dict[str, Any]]:
    """The conversation with special tokens defused in tool results (the text a tool, not we, wrote)."""
    if not tokens:
        return messages
    out = []
    for message in messages:
        if message.get("role") == "tool" and isinstance(message.get("content"), str):
            message = {**message, "content": neutralise(message["content"], tokens)}
        out.append(message)
    return out
