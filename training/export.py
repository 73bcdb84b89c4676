"""Each stage's dataset on disk: JSONL (nested, as built) and a Hugging Face ``datasets`` folder.

In the ``datasets`` folder, nested values (messages, tools, transcripts) are
stored as JSON strings: Arrow would otherwise unify the keys of all messages
(every message would get a ``tool_calls: None``, which chat templates read as
a tool call) and of all tool arguments. ``json.loads`` a column to get the
conversations back; trl reads a JSON-string ``tools`` column as is.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import datasets


def write_jsonl(records: Iterable[dict[str, Any]], path: str | Path) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            count += 1
    return count


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def flat_row(record: dict[str, Any]) -> dict[str, Any]:
    """Scalars (and None) as they are; lists and dicts as JSON text."""
    return {
        k: json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (dict, list)) else v
        for k, v in record.items()
    }


def save_dataset(records: list[dict[str, Any]], folder: str | Path, name: str) -> dict[str, str]:
    """Write ``<folder>/<name>.jsonl`` and the ``datasets`` folder ``<folder>/<name>/``; returns both paths."""
    folder = Path(folder)
    jsonl = folder / f"{name}.jsonl"
    write_jsonl(records, jsonl)
    target = folder / name
    if target.exists():
        shutil.rmtree(target)
    rows = [flat_row(r) for r in records]
    dataset = datasets.Dataset.from_list(rows) if rows else datasets.Dataset.from_dict({})
    dataset.save_to_disk(str(target))
    return {"jsonl": str(jsonl), "dataset": str(target)}


def load_dataset_records(folder: str | Path, json_columns: tuple[str, ...] = ("messages", "tools")) -> list[dict]:
    """Read a folder written by :func:`save_dataset` back into records (JSON columns decoded)."""
    dataset = datasets.load_from_disk(str(folder))
    out = []
    for row in dataset:
        out.append({k: json.loads(v) if k in json_columns and isinstance(v, str) else v for k, v in row.items()})
    return out
