"""One static HTML page per model x task: every problem's question, key, both transcripts and their scores.

The leaderboard page links each model x task cell here, so a surprising number can be read problem by
problem in the browser. Built from the ``samples_<task>_<date>.jsonl`` file of the run (``--log_samples``):
each record's ``resps`` holds the two transcripts (no tools, tools offered) as the toolwise model wrote them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2

from toolwise.leaderboard._board import Leaderboard
from toolwise.leaderboard._format import display_task

FOLDER = "transcripts"
MODES = ("no_tool", "choice")
MODE_TITLES = {"no_tool": "no tools", "choice": "tools offered"}

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ model }} on {{ task }}: transcripts</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #1d1d1f; }
  details { border: 1px solid #ddd; border-radius: 4px; margin: 0.4rem 0; padding: 0.3rem 0.6rem; }
  summary { cursor: pointer; }
  .right { color: #0a7d32; } .wrong { color: #b3261e; }
  .turn { margin: 0.3rem 0 0.3rem 1rem; white-space: pre-wrap; font-size: 0.88rem; }
  .role { font-weight: 600; } .call { font-family: ui-monospace, monospace; background: #f3f3f3; }
  .meta { color: #666; font-size: 0.85rem; }
  table { border-collapse: collapse; } td, th { padding: 0.2rem 0.6rem; border-bottom: 1px solid #eee; }
</style>
</head>
<body>
<p><a href="../leaderboard.html">&larr; leaderboard</a></p>
<h1>{{ model }} on {{ task }}</h1>
<p class="meta">{{ problems|length }} problems from <code>{{ source }}</code>. E/H: right/wrong without tools;
T/N: attempted a tool call or not when offered tools.</p>
{% for p in problems %}
<details id="{{ p.id }}">
<summary><strong>{{ p.id }}</strong> &middot; {{ p.quadrant }} &middot;
no tools: <span class="{{ 'right' if p.correct_no_tool else 'wrong' }}">{{ 'right' if p.correct_no_tool else 'wrong' }}</span>,
tools offered: <span class="{{ 'right' if p.correct_choice else 'wrong' }}">{{ 'right' if p.correct_choice else 'wrong' }}</span>
{% if p.calls %}&middot; {{ p.calls }} tool call(s){% endif %}</summary>
<p><strong>Question.</strong> {{ p.question }}</p>
<p><strong>Key.</strong> {{ p.key }}</p>
{% for t in p.transcripts %}
<h3>{{ t.title }}: answer {{ t.answer }} ({{ 'right' if t.correct else 'wrong' }})</h3>
<p class="meta">{{ t.turns }} turn(s), {{ t.tokens_in }} tokens in, {{ t.tokens_out }} out{% if t.error %}, error: {{ t.error }}{% endif %}</p>
{% for m in t.messages %}<div class="turn"><span class="role">{{ m.role }}</span>{% if m.name %} ({{ m.name }}){% endif %}: {{ m.content }}{% for c in m.calls %}
<span class="call">{{ c }}</span>{% endfor %}</div>
{% endfor %}
{% endfor %}
</details>
{% endfor %}
</body>
</html>
"""


def transcript_link(model: str, task: str) -> str:
    """The page's path relative to the leaderboard page: ``transcripts/<model>--<task>.html``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_") or "model"
    return f"{FOLDER}/{slug}--{task}.html"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _transcript(raw: Any, mode: str, correct: bool) -> dict[str, Any]:
    text = raw[0] if isinstance(raw, list) and raw else raw
    try:
        data = json.loads(text) if isinstance(text, str) else {}
    except json.JSONDecodeError:
        data = {"final_text": text}
    messages = []
    for message in data.get("messages") or []:
        calls = [
            f"{(c.get('function') or {}).get('name', '?')}({_text((c.get('function') or {}).get('arguments', ''))})"
            for c in message.get("tool_calls") or []
        ]
        messages.append(
            {
                "role": message.get("role", "?"),
                "name": message.get("name"),
                "content": _text(message.get("content") or ""),
                "calls": calls,
            }
        )
    return {
        "title": MODE_TITLES[mode],
        "answer": _text(data.get("answer")),
        "correct": correct,
        "messages": messages,
        "turns": data.get("turns", 0),
        "tokens_in": data.get("tokens_in", 0),
        "tokens_out": data.get("tokens_out", 0),
        "error": data.get("error"),
    }


def _problem(record: dict[str, Any]) -> dict[str, Any]:
    doc = record.get("doc") if isinstance(record.get("doc"), dict) else {}
    problem = doc.get("problem")
    if isinstance(problem, str):
        try:
            problem = json.loads(problem)
        except json.JSONDecodeError:
            problem = {}
    pair = record.get("tool_use_acc") or [False, False]
    easy, used = bool(pair[0]), bool(pair[1])
    correct = {"no_tool": bool(record.get("acc_no_tool")), "choice": bool(record.get("acc_choice"))}
    resps = record.get("resps") or []
    choices = problem.get("choices") if isinstance(problem, dict) else None
    key = _text(doc.get("answer", record.get("target", "")))
    if isinstance(choices, dict) and key in choices:
        key = f"{key} ({choices[key]})"
    return {
        "id": str(doc.get("id") or f"doc-{record.get('doc_id')}"),
        "question": _text(doc.get("question", "")),
        "key": key,
        "quadrant": ("E" if easy else "H") + ("T" if used else "N"),
        "correct_no_tool": correct["no_tool"],
        "correct_choice": correct["choice"],
        "calls": record.get("tool_calls_per_problem", 0),
        "transcripts": [_transcript(resps[i], mode, correct[mode]) for i, mode in enumerate(MODES) if i < len(resps)],
    }


def transcript_page(model: str, task: str, samples_file: Path) -> str:
    """The page of one run's samples file."""
    records = []
    with samples_file.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                records.append(json.loads(line))
    records.sort(key=lambda r: r.get("doc_id", 0))
    template = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(_PAGE)
    return template.render(
        model=model, task=display_task(task), source=str(samples_file), problems=[_problem(r) for r in records]
    )


def transcript_pages(board: Leaderboard) -> dict[str, str]:
    """Every run with a samples file: link (relative path) -> page."""
    pages = {}
    for run in board.runs.to_dict("records"):
        if run["samples_file"]:
            pages[transcript_link(run["model"], run["task"])] = transcript_page(
                run["model"], run["task"], Path(run["samples_file"])
            )
    return pages
