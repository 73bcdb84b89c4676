"""What a local model's replies depend on (for the response cache).

``weights_fingerprint`` names the weights, not just the model's name: the hub commit the files came from,
or for a local folder a hash of each weight file's name, size and first and last MiB (a fine-tuned
checkpoint saved to the same path gets a new fingerprint without hashing gigabytes).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth", ".ckpt", ".model", ".json", ".jinja", ".txt")
_EDGE_BYTES = 1 << 20


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
