"""Per-problem outcomes from an lm-eval ``samples_<task>_<date>.jsonl`` file of a toolwise task."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from toolwise.leaderboard._errors import ResultsError

SAMPLE_COLUMNS = ("problem_id", "difficulty", "correct_no_tool", "correct_choice", "easy", "used_tool", "tool_calls")
_REQUIRED_FIELDS = ("doc_id", "acc_no_tool", "acc_choice", "tool_use_acc")


def _problem_id(record: dict[str, Any]) -> str:
    doc = record.get("doc")
    if isinstance(doc, dict) and doc.get("id") not in (None, ""):
        return str(doc["id"])
    return f"doc-{record['doc_id']}"


def _difficulty(record: dict[str, Any]) -> str:
    doc = record.get("doc")
    level = doc.get("difficulty") if isinstance(doc, dict) else None
    return "" if level is None else str(level).strip()


def _row(record: dict[str, Any], where: str) -> dict[str, Any]:
    missing = [name for name in _REQUIRED_FIELDS if name not in record]
    if missing:
        raise ResultsError(f"{where}: sample lacks {', '.join(missing)}; is this a toolwise task's samples file?")
    pair = record["tool_use_acc"]
    if not (isinstance(pair, list | tuple) and len(pair) == 2):
        raise ResultsError(f"{where}: tool_use_acc should be [easy, used_tool], got {pair!r}")
    easy, used = (bool(x) for x in pair)
    return {
        "problem_id": _problem_id(record),
        "difficulty": _difficulty(record),
        "correct_no_tool": float(record["acc_no_tool"]),
        "correct_choice": float(record["acc_choice"]),
        "easy": easy,
        "used_tool": used,
        "tool_calls": float(record.get("tool_calls_per_problem", float("nan"))),
    }


def read_samples(path: Path) -> pd.DataFrame:
    """One row per problem: its id, difficulty level ("" when none) and what the model did in both modes.

    Raises ResultsError naming the file and line for a truncated or foreign file.
    """
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ResultsError(f"{where}: not valid JSON ({err.msg}); the file may be truncated") from err
            if not isinstance(record, dict):
                raise ResultsError(f"{where}: expected one JSON object per line")
            rows.append(_row(record, where))
    if not rows:
        raise ResultsError(f"{path}: samples file is empty")
    frame = pd.DataFrame(rows, columns=list(SAMPLE_COLUMNS))
    duplicated = frame["problem_id"][frame["problem_id"].duplicated()].unique()
    if len(duplicated):
        raise ResultsError(f"{path}: problem ids repeat ({', '.join(map(str, duplicated[:3]))}); cannot pair problems")
    return frame
