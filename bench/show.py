"""``toolwise show RESULTS [PROBLEM]``: a problem's two transcripts, readable, from a ``--log_samples`` run.

The question, each turn of both modes, tool calls with their arguments and results, the final answers, the
key and how each answer was scored, and the quadrant (ET/EN/HT/HN) the problem fell in: why a score is what
it is, without reading JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from toolwise.bench.problem import problem_from_doc
from toolwise.bench.summary import QUADRANTS, iter_samples, problem_id, quadrant
from toolwise.bench.transcript import Transcript

_DATE = re.compile(r"_(\d{4}-\d{2}-\d{2}T[\d\-.]+)\.jsonl$")
SHORT = 600  # characters of a system prompt or tool result shown unless --full
_VERDICT = {
    "ET": "a tool-use mistake: the model could answer alone but called a tool",
    "EN": "a right decision: answered alone a question it can answer",
    "HT": "a right decision: called a tool on a question it cannot answer alone",
    "HN": "a tool-use mistake: answered alone a question it gets wrong without tools",
}


class ShowError(ValueError):
    """A results path or problem that cannot be shown; the message says what to do."""


def samples_files(path: Path, task: str | None = None) -> list[Path]:
    """The ``samples_<task>_<date>.jsonl`` files at or under ``path``, newest run first."""
    if path.is_file():
        return [path]
    if not path.exists():
        raise ShowError(f"{path}: no such file or folder")
    pattern = f"samples_{task}_*.jsonl" if task else "samples_*.jsonl"
    files = list(path.rglob(pattern))
    if not files:
        raise ShowError(f"{path}: no samples files; run lm_eval with --output_path {path} --log_samples")

    def newest(file: Path) -> tuple[str, float]:
        match = _DATE.search(file.name)
        return (match.group(1) if match else "", file.stat().st_mtime)

    return sorted(files, key=newest, reverse=True)


def find_record(path: Path, problem: str | None = None, task: str | None = None) -> tuple[Path, dict[str, Any]]:
    """The sample of ``problem`` (an id such as ``pde-test-0003``, or a doc index) in the newest run holding it."""
    for file in samples_files(path, task):
        for record in iter_samples(file):
            if problem is None or problem in (problem_id(record), str(record.get("doc_id"))):
                return file, record
    raise ShowError(f"problem {problem!r} is in no samples file under {path}")


def _clip(text: str, full: bool) -> str:
    return text if full or len(text) <= SHORT else text[:SHORT] + f" ... [{len(text) - SHORT} more characters; --full]"


def _arguments(arguments: Any) -> str:
    if isinstance(arguments, dict):
        return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items())
    return str(arguments)


def _key_text(record: dict[str, Any]) -> tuple[str, Any]:
    problem = problem_from_doc(record["doc"])
    if problem.answer_type == "mcq":
        choice = (problem.choices or {}).get(str(problem.answer), "")
        return f"{problem.answer} ({choice})" if choice else str(problem.answer), problem
    if problem.answer_type == "numeric":
        unit = f" {problem.unit}" if problem.unit else ""
        return f"{problem.answer}{unit} (right within ±{problem.tolerance:.0%} relative)", problem
    return "graded by the domain's rubric (0 = naive baseline, 1 = best known)", problem


def _turns(transcript: Transcript, full: bool) -> list[Any]:
    parts: list[Any] = []
    for message in transcript.messages:
        role, content = message.get("role"), str(message.get("content") or "")
        if role == "system":
            parts.append(Text(f"system: {_clip(content, full)}", style="dim"))
        elif role == "assistant":
            if content.strip():
                parts.append(Text.assemble(("model: ", "bold cyan"), content.strip()))
            for call in message.get("tool_calls") or []:
                function = call.get("function", {})
                parts.append(
                    Text.assemble(
                        ("  tool call ", "bold yellow"),
                        (f"{function.get('name')}", "yellow"),
                        f"({_arguments(function.get('arguments'))})",
                    )
                )
        elif role == "tool":
            style = "red" if content.startswith("Error:") else "green"
            parts.append(Text.assemble(("  result: ", f"bold {style}"), (_clip(content, full), style)))
    return parts


def _mode_panel(record: dict[str, Any], index: int, full: bool) -> Panel:
    transcript = Transcript.from_json(record["resps"][index][0])
    key, problem = _key_text(record)
    score = float(record["acc_no_tool" if index == 0 else "acc_choice"])
    verdict = "right" if score >= 1 else "wrong" if score <= 0 else f"partly right ({score:.2f})"
    answer = transcript.answer if transcript.answer not in (None, "") else "none found in the reply"
    if problem.answer_type == "open":
        answer = "the reply's final answer (see above)"
    lines = [
        *_turns(transcript, full),
        Text(""),
        Text.assemble(("answer read: ", "bold"), str(answer), ("   key: ", "bold"), key),
        Text.assemble(("scored: ", "bold"), f"{verdict} ({score:g})"),
        Text(
            f"stop: {transcript.stop_reason}; turns {transcript.turns}; tool calls {len(transcript.tool_calls)} "
            f"({transcript.tool_errors} errors); tokens in/out {transcript.tokens_in}/{transcript.tokens_out}",
            style="dim",
        ),
    ]
    if transcript.error:
        lines.append(Text(f"error: {transcript.error}", style="bold red"))
    title = "no tools offered (acc_no_tool)" if index == 0 else "tools offered, the model's choice (acc_choice)"
    return Panel(Group(*lines), title=title, title_align="left")


def render_record(console: Console, file: Path, record: dict[str, Any], full: bool = False) -> None:
    """Print one problem: question, both transcripts with their scoring, and its quadrant."""
    doc = record.get("doc") or {}
    tools = ", ".join(problem_from_doc(doc).tools) or "none"
    console.print(f"[bold]{escape(problem_id(record))}[/bold]  [dim]{escape(str(file))}[/dim]")
    console.print(Panel(str(doc.get("question", "")), title="question", title_align="left"))
    console.print(f"[dim]tools offered in choice mode: {escape(tools)}[/dim]")
    console.print(_mode_panel(record, 0, full))
    console.print(_mode_panel(record, 1, full))
    q = quadrant(record)
    if q is not None:
        console.print(f"[bold]{q}[/bold] ({QUADRANTS[q]}): {_VERDICT[q]}")


def quadrant_index(file: Path) -> dict[str, list[str]]:
    """Problem ids per quadrant in one samples file."""
    found: dict[str, list[str]] = {q: [] for q in QUADRANTS}
    for record in iter_samples(file):
        q = quadrant(record)
        if q is not None:
            found[q].append(problem_id(record))
    return found


def show(path: Path, problem: str | None = None, task: str | None = None, full: bool = False) -> None:
    """Print a problem (the run's first when none is named) and, then, the ids of each quadrant."""
    console = Console()
    file, record = find_record(path, problem, task)
    render_record(console, file, record, full)
    if problem is None:
        console.print(f"\n[dim]other problems of this run (toolwise show {escape(str(path))} ID):[/dim]")
        for q, ids in quadrant_index(file).items():
            if ids:
                shown = ", ".join(ids[:8]) + (f" ... ({len(ids)})" if len(ids) > 8 else "")
                console.print(f"  {q}: {escape(shown)}")
