"""A problem: one line of a task's jsonl, the unit every part agrees on."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

AnswerType = Literal["mcq", "numeric", "open"]
LETTERS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class ToolCall:
    """A tool name with its arguments (what a model asks for, or a reference call)."""

    name: str
    arguments: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}


@dataclass
class Problem:
    """A benchmark question with its key and the tool calls that ground the key.

    ``reference_calls`` replayed through the tools reproduce ``answer``: that is
    the dataset's self-check and what the scripted oracle replays. ``solution``
    is a tool-free worked solution that states what the tools compute as knowledge (the WKD target).
    """

    id: str
    domain: str
    question: str
    answer_type: AnswerType
    answer: Any
    tools: list[str]
    reference_calls: list[ToolCall] = field(default_factory=list)
    template: str = ""
    choices: dict[str, str] | None = None
    tolerance: float = 0.05
    unit: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    solution: str = ""
    difficulty: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("problem needs a non-empty id")
        if self.answer_type not in ("mcq", "numeric", "open"):
            raise ValueError(f"problem {self.id}: answer_type must be mcq, numeric or open, got {self.answer_type!r}")
        if self.answer_type == "mcq":
            if not self.choices or set(self.choices) != set(LETTERS):
                raise ValueError(f"problem {self.id}: an mcq needs choices A-D, got {self.choices!r}")
            if self.answer not in LETTERS:
                raise ValueError(f"problem {self.id}: an mcq answer is a letter A-D, got {self.answer!r}")
        if self.answer_type == "numeric":
            try:
                self.answer = float(self.answer)
            except (TypeError, ValueError):
                raise ValueError(f"problem {self.id}: a numeric answer must be a number, got {self.answer!r}") from None
        self.reference_calls = [c if isinstance(c, ToolCall) else ToolCall(**c) for c in self.reference_calls]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reference_calls"] = [c.to_dict() for c in self.reference_calls]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"problem {data.get('id')!r}: unknown fields {sorted(unknown)}")
        return cls(**data)

    def prompt_text(self) -> str:
        """The question as the model reads it (choices listed for an MCQ)."""
        text = self.question.strip()
        if self.answer_type == "mcq" and self.choices:
            options = "\n".join(f"{letter}. {self.choices[letter]}" for letter in LETTERS)
            text = f"{text}\n\nOptions:\n{options}"
        if self.unit and self.answer_type == "numeric":
            text = f"{text}\n\nThe unit of the answer is {self.unit}."
        return text


def read_jsonl(path: str | Path) -> list[Problem]:
    """Load problems from a jsonl file, naming the line of any bad record."""
    problems = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                problems.append(Problem.from_dict(json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{lineno}: {exc}") from exc
    return problems


def write_jsonl(problems: Iterable[Problem], path: str | Path) -> int:
    """Write problems one per line (stable key order, so diffs stay small)."""
    count = 0
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for problem in problems:
            fh.write(json.dumps(problem.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count


def iter_docs(problems: Iterable[Problem]) -> Iterator[dict[str, Any]]:
    """Flat rows for a ``datasets.Dataset``: readable columns plus the full problem as JSON.

    Nested, heterogeneous fields (params, choices) travel as one JSON string so
    that no version of ``datasets`` reshapes them.
    """
    for p in problems:
        yield {
            "id": p.id,
            "domain": p.domain,
            "template": p.template,
            "question": p.prompt_text(),
            "answer": str(p.answer) if p.answer_type != "open" else json.dumps(p.answer),
            "difficulty": p.difficulty or "",
            "problem": json.dumps(p.to_dict(), ensure_ascii=False, sort_keys=True),
        }


def problem_from_doc(doc: dict[str, Any]) -> Problem:
    """Rebuild the Problem from a dataset row made by :func:`iter_docs`."""
    return Problem.from_dict(json.loads(doc["problem"]))
