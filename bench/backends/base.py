"""The backend contract: a batch of conversations in, the next assistant message of each out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from toolwise.bench.problem import Problem
from toolwise.bench.sampling import Sampling
from toolwise.bench.transcript import Mode


@dataclass
class Conversation:
    """One open conversation as the loop hands it to a backend.

    ``messages`` use the OpenAI/HF chat convention: assistant tool calls as
    ``{"role": "assistant", "content": ..., "tool_calls": [{"id", "type": "function",
    "function": {"name", "arguments": {...}}}]}`` and results as
    ``{"role": "tool", "tool_call_id", "name", "content"}``. ``tools`` is None
    when no tools are offered (``no_tool`` mode). ``sampling`` given as lm-eval gen_kwargs is parsed into a
    ``Sampling``.
    """

    problem: Problem
    mode: Mode
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    sampling: Sampling = field(default_factory=Sampling)
    turn: int = 0

    def __post_init__(self) -> None:
        self.sampling = Sampling.from_gen_kwargs(self.sampling)


def stable_call_id(conversation: Conversation, index: int) -> str:
    """A tool-call id that is the same in every run, so resumed runs and response caches hit."""
    seed = f"{conversation.problem.id}|{conversation.mode}|{conversation.turn}|{index}"
    return "call_" + hashlib.sha256(seed.encode()).hexdigest()[:12]


@dataclass
class ParsedToolCall:
    """A tool call as the model wrote it.

    ``arguments`` is None when they could not be parsed; ``parse_error`` then
    says why. It still counts as a tool attempt.
    """

    name: str
    arguments: dict[str, Any] | None
    raw: str = ""
    parse_error: str | None = None
    id: str | None = None


@dataclass
class AssistantTurn:
    """The next assistant message of one conversation."""

    content: str
    tool_calls: list[ParsedToolCall] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    finish_reason: str = "stop"
    raw: str = ""
    error: str | None = None


@runtime_checkable
class Backend(Protocol):
    """Anything that can answer a batch of conversations, one turn each."""

    name: str

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        """Return one AssistantTurn per conversation, in order.

        A failure that concerns one conversation (a refused request, an
        exhausted retry budget) is returned as an AssistantTurn with ``error``
        set, not raised, so the other conversations go on.
        """
        ...
