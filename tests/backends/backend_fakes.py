"""A scripted "model" for the fake API server, and builders for backends and conversations."""

from __future__ import annotations

import re
from typing import Any

from toy_domain import toy_problems

from toolwise.bench.backends import make_backend
from toolwise.bench.backends._fake_api import FakeChatServer, FakeHTTPError, FakeReply, FakeRequest, body_key
from toolwise.bench.backends.base import Conversation
from toolwise.bench.problem import Problem
from toolwise.bench.prompts import opening_messages
from toolwise.tools import get_tool

QUESTION = re.compile(r"What is (-?\d+) times (-?\d+)\?")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
FAST_RETRIES = {"retry_base_delay": 0.01, "retry_max_delay": 0.05, "progress": False}
MODELS = {"openai": "gpt-4o", "anthropic": "claude-3-5-sonnet-20241022"}


def multiplication_model(request: FakeRequest) -> FakeReply:
    """Knows a x b when a is even. Without tools it guesses the rest (wrongly); with tools it calls
    ``toy_multiply`` exactly on those, then answers from the result (an oracle tool user)."""
    match = QUESTION.search(request.first_user_text())
    if match is None:
        return FakeReply(text="I cannot read the question.")
    a, b = int(match.group(1)), int(match.group(2))
    results = request.tool_results()
    if results:
        product = float(NUMBER.findall(results[-1])[-1])
        return FakeReply(text=f"The tool says {product:g}, so the answer is {product:g}")
    if a % 2 == 0:
        return FakeReply(text=f"I know this one: the answer is {a * b}")
    if request.tools:
        return FakeReply(tool_calls=[("toy_multiply", {"a": a, "b": b})])
    return FakeReply(text=f"Roughly, the answer is {2 * a * b}")  # off by far more than the 5 % tolerance


class FailFirst:
    """Wraps a script: the first ``n`` attempts of every distinct request get an HTTP error."""

    def __init__(self, script: Any, n: int, status: int, headers: dict[str, str] | None = None) -> None:
        self.script, self.n, self.status, self.headers = script, n, status, headers
        self.seen: dict[str, int] = {}

    def __call__(self, request: FakeRequest) -> FakeReply:
        key = body_key(request.body)
        self.seen[key] = self.seen.get(key, 0) + 1
        if self.seen[key] <= self.n:
            raise FakeHTTPError(self.status, f"injected {self.status}", self.headers)
        return self.script(request)


def api_backend(wire: str, server: FakeChatServer, **kwargs: Any) -> Any:
    """An OpenAI or Anthropic backend pointed at the fake server, retrying fast, without a cache."""
    url = server.openai_url if wire == "openai" else server.anthropic_url
    args = {"model": MODELS[wire], "base_url": url, "api_key": "test-key-0123456789", "cache": False}
    return make_backend(wire, **(args | FAST_RETRIES | kwargs))


def problems(n: int = 6) -> list[Problem]:
    return toy_problems(n, answer_type="numeric")


def conversation(problem: Problem, mode: str = "choice", sampling: dict[str, Any] | None = None) -> Conversation:
    tools = [get_tool("toy_multiply").schema()] if mode != "no_tool" else None
    sampling = (
        {"max_gen_toks": 64, "do_sample": False, "temperature": 0.0, "until": []} if sampling is None else sampling
    )
    return Conversation(problem, mode, opening_messages(problem, mode), tools, sampling)  # type: ignore[arg-type]


def continue_with_tool_results(conv: Conversation, turn: Any, result: str = '{"product": 21.0}') -> None:
    """Append the assistant's tool calls and a result for each, as the loop does."""
    calls = [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in turn.tool_calls
    ]
    conv.messages.append({"role": "assistant", "content": turn.content, "tool_calls": calls})
    for call in turn.tool_calls:
        conv.messages.append({"role": "tool", "tool_call_id": call.id, "name": call.name, "content": result})
    conv.turn += 1
