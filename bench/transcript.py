"""What one conversation produced: messages, the parsed answer and what tools did."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Mode = Literal["no_tool", "choice", "forced"]
MODES: tuple[Mode, ...] = ("no_tool", "choice", "forced")


@dataclass
class ToolCallRecord:
    """One tool call the model attempted, parsed or not."""

    name: str
    arguments: Any
    result: str | None = None
    error: str | None = None
    seconds: float = 0.0
    cached: bool = False


@dataclass
class Transcript:
    """Per problem and mode; JSON-serialisable, and what ``--log_samples`` shows."""

    problem_id: str
    mode: Mode
    messages: list[dict[str, Any]] = field(default_factory=list)
    final_text: str = ""
    answer: Any = None
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    tool_errors: int = 0
    tool_calls_over_limit: int = 0  # calls past max_tool_calls: counted, not recorded one by one
    tool_seconds: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    turns: int = 0
    stop_reason: str = ""
    error: str | None = None

    @property
    def n_tool_attempts(self) -> int:
        """Every call the model tried counts, malformed ones and those past the limit included (T means attempted)."""
        return len(self.tool_calls) + self.tool_calls_over_limit

    @property
    def used_tool(self) -> bool:
        return self.n_tool_attempts > 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["n_tool_attempts"] = self.n_tool_attempts
        return data

    @property
    def failed(self) -> bool:
        """The conversation ended on a backend or reply error, not on an answer of the model's."""
        return self.error is not None

    def to_json(self) -> str:
        # Lone surrogates cannot be written as UTF-8; as JSON escapes they survive the round trip.
        text = json.dumps(self.to_dict(), ensure_ascii=False, default=str)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        data = json.loads(text)
        data.pop("n_tool_attempts", None)
        data = {k: v for k, v in data.items() if k in _FIELDS}  # tolerate keys a newer version added
        data["tool_calls"] = [ToolCallRecord(**c) for c in data.get("tool_calls", [])]
        return cls(**data)


_FIELDS = frozenset(Transcript.__dataclass_fields__)
