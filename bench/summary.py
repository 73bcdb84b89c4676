"""The short summary a run ends with: per task the three accuracies with intervals, tool rate, ET/EN/HT/HN.

lm-eval's own table lists 20+ metric rows per task; this is the part a user reads first, plus where the
transcripts went and one problem per quadrant to look at with ``toolwise show``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUADRANTS: dict[str, str] = {
    "ET": "easy, called a tool anyway",
    "EN": "easy, answered alone",
    "HT": "hard, called a tool",
    "HN": "hard, answered alone",
}
_MARKER = "acc_no_tool,none"  # a task reporting it is a toolwise task
_FILTER = ",none"


@dataclass
class TaskSummary:
    """One toolwise task of a run, as the summary shows it."""

    task: str
    problems: int
    metrics: dict[str, float]
    samples_file: Path | None = None
    examples: dict[str, str] = field(default_factory=dict)  # quadrant -> first problem id in it

    def metric(self, name: str) -> float:
        return float(self.metrics.get(name + _FILTER, math.nan))


def quadrant(record: Mapping[str, Any]) -> str | None:
    """ET/EN/HT/HN of one lm-eval sample record (its ``tool_use_acc`` is the pair [easy, used_tool])."""
    pair = record.get("tool_use_acc")
    if not (isinstance(pair, list | tuple) and len(pair) == 2):
        return None
    easy, used = (bool(x) for x in pair)
    return ("E" if easy else "H") + ("T" if used else "N")


def problem_id(record: Mapping[str, Any]) -> str:
    doc = record.get("doc")
    if isinstance(doc, dict) and doc.get("id") not in (None, ""):
        return str(doc["id"])
    return f"doc-{record.get('doc_id')}"


def iter_samples(path: Path) -> Iterator[dict[str, Any]]:
    """The records of an lm-eval ``samples_<task>_<date>.jsonl`` file (blank or broken lines skipped)."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue


def first_per_quadrant(path: Path) -> dict[str, str]:
    """The first problem id of each quadrant that occurs in a samples file, in ET/EN/HT/HN order."""
    found: dict[str, str] = {}
    for record in iter_samples(path):
        q = quadrant(record)
        if q is not None and q not in found:
            found[q] = problem_id(record)
    return {q: found[q] for q in QUADRANTS if q in found}


def summarize(results: Mapping[str, Any], samples_files: Mapping[str, Path] | None = None) -> list[TaskSummary]:
    """The toolwise tasks of lm-eval's results dict (others are left to lm-eval's table)."""
    samples_files = samples_files or {}
    counts = results.get("n-samples") or {}
    summaries = []
    for task, metrics in sorted((results.get("results") or {}).items()):
        if not isinstance(metrics, dict) or _MARKER not in metrics:
            continue
        n = counts.get(task, {})
        problems = int(n.get("effective", n.get("original", 0))) if isinstance(n, dict) else 0
        path = samples_files.get(task)
        examples = first_per_quadrant(path) if path is not None and path.exists() else {}
        numbers = {k: float(v) for k, v in metrics.items() if isinstance(v, int | float)}
        summaries.append(TaskSummary(task, problems, numbers, path, examples))
    return summaries


def _with_interval(s: TaskSummary, name: str) -> str:
    value, lo, hi = s.metric(name), s.metric(name + "_ci_lo"), s.metric(name + "_ci_hi")
    if math.isnan(value):
        return "n/a"
    if math.isnan(lo) or math.isnan(hi):
        return f"{value:.2f}"
    return f"{value:.2f} [{lo:.2f}, {hi:.2f}]"


def _count(s: TaskSummary, name: str) -> str:
    value = s.metric(name)
    return "-" if math.isnan(value) else str(round(value))


def render_summary(summaries: list[TaskSummary], results_dir: str | None = None) -> str:
    """Plain text, a dozen lines: one row per task, then the transcripts and a problem per quadrant."""
    if not summaries:
        return ""
    header = ["task", "problems", "acc_no_tool", "acc_choice", "tool_use_acc", "tool rate", "ET", "EN", "HT", "HN"]
    rows = [header]
    for s in summaries:
        rows.append(
            [
                s.task,
                str(s.problems),
                _with_interval(s, "acc_no_tool"),
                _with_interval(s, "acc_choice"),
                _with_interval(s, "tool_use_acc"),
                f"{s.metric('tool_rate'):.2f}",
                *(_count(s, "n_" + q) for q in QUADRANTS),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["", "toolwise summary (accuracies with 95% bootstrap intervals; E/H = right/wrong without tools,"]
    lines.append("T/N = called a tool or not when offered one)")
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    for s in summaries:
        problems = []
        failed, tool_errors = s.metric("n_failed"), s.metric("tool_errors")
        if not math.isnan(failed) and failed > 0:
            problems.append(f"{round(failed)} problems failed (backend or reply errors)")
        if not math.isnan(tool_errors) and tool_errors > 0:
            problems.append(f"{round(tool_errors)} tool calls returned an error")
        if problems:
            lines.append(f"{s.task}: " + "; ".join(problems))
    logged = [s for s in summaries if s.samples_file is not None]
    if not logged:
        lines.append("transcripts not saved: add --output_path DIR --log_samples to keep them")
        return "\n".join(lines)
    where = results_dir or str(logged[0].samples_file.parent)
    for s in logged:
        lines.append(f"{s.task} transcripts: {s.samples_file}")
        task_option = f" --task {s.task}" if len(logged) > 1 else ""  # ids may repeat across tasks
        for q, pid in s.examples.items():
            lines.append(f"  {q} ({QUADRANTS[q]}): toolwise show {where} {pid}{task_option}")
    return "\n".join(lines)
