"""The conversation loop survives every kind of malformed tool call and records it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from toy_domain import toy_problems

from toolwise.bench.backends.base import AssistantTurn, Conversation, ParsedToolCall
from toolwise.bench.loop import LoopLimits, Request, run_conversations


class ScriptBackend:
    """Replies from a list: the k-th call of a conversation gets script[k]."""

    name = "script"

    def __init__(self, script: list[Callable[[Conversation], AssistantTurn]]) -> None:
        self.script = script
        self.batch_sizes: list[int] = []

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        self.batch_sizes.append(len(conversations))
        return [self.script[min(c.turn, len(self.script) - 1)](c) for c in conversations]


def call(name: str, arguments: dict | None, parse_error: str | None = None) -> Callable[[Conversation], AssistantTurn]:
    return lambda c: AssistantTurn(content="", tool_calls=[ParsedToolCall(name, arguments, "raw", parse_error)])


def answer(text: str) -> Callable[[Conversation], AssistantTurn]:
    return lambda c: AssistantTurn(content=text)


PROBLEM = toy_problems(1)[0]  # 3 x 7, key "A" (21.0)


@pytest.mark.parametrize(
    ("bad_call", "expected_error"),
    [
        (call("toy_multiply", None, "not valid JSON (Expecting value at position 12)"), "could not parse the call"),
        (call("toy_divide", {"a": 1, "b": 2}), "unknown tool 'toy_divide'; available tools: toy_multiply"),
        (call("toy_multiply", {"a": 3}), "missing required argument 'b'"),
        (call("toy_multiply", {"a": 3, "b": 7, "c": 1}), "unexpected argument 'c'"),
        (call("toy_multiply", {"a": 3, "b": 70000}), "argument 'b'"),
        (call("toy_multiply", {"a": 13, "b": 13}), "13 x 13 is unlucky"),
    ],
)
def test_malformed_calls_become_readable_tool_messages(bad_call, expected_error: str) -> None:  # type: ignore[no-untyped-def]
    backend = ScriptBackend([bad_call, call("toy_multiply", {"a": 3, "b": 7}), answer("21, so the answer is A")])
    [t] = run_conversations([Request(PROBLEM, "choice")], backend, progress=False)
    assert t.stop_reason == "answered"
    assert t.answer == "A"
    assert t.n_tool_attempts == 2  # the malformed call counts as an attempt
    assert t.tool_errors == 1
    assert expected_error in t.tool_calls[0].error
    tool_messages = [m for m in t.messages if m["role"] == "tool"]
    assert tool_messages[0]["content"].startswith("Error: ")
    assert expected_error in tool_messages[0]["content"]
    assert tool_messages[1]["content"] == '{"product": 21.0}'
    assert t.turns == 3


def test_every_open_conversation_is_one_batch_per_turn() -> None:
    problems = toy_problems(5)
    requests = [Request(p, "choice") for p in problems] + [Request(p, "no_tool") for p in problems]
    backend = ScriptBackend([call("toy_multiply", {"a": 2, "b": 2}), answer("the answer is B")])
    transcripts = run_conversations(requests, backend, progress=False)
    # no_tool conversations finish on turn 1 (tools not offered, so the call is ignored as text)
    assert backend.batch_sizes == [10, 5]
    assert all(t.n_tool_attempts == 0 for t in transcripts[5:])
    assert all(t.n_tool_attempts == 1 for t in transcripts[:5])


def test_turn_and_tool_call_caps_end_a_looping_model() -> None:
    backend = ScriptBackend([call("toy_multiply", {"a": 1, "b": 1})])
    [t] = run_conversations(
        [Request(PROBLEM, "forced")], backend, LoopLimits(max_turns=5, max_tool_calls=3), progress=False
    )
    assert t.stop_reason == "max_turns"
    assert t.turns == 5
    assert t.n_tool_attempts == 5
    assert sum(1 for c in t.tool_calls if c.error and "limit of 3" in c.error) == 2
    assert t.answer is None


def test_a_backend_error_is_recorded_and_ends_only_that_conversation() -> None:
    def flaky(c: Conversation) -> AssistantTurn:
        if c.problem.id.endswith("1"):
            return AssistantTurn(content="", error="HTTP 401: invalid API key")
        return AssistantTurn(content="the answer is A")

    transcripts = run_conversations(
        [Request(p, "no_tool") for p in toy_problems(2)], ScriptBackend([flaky]), progress=False
    )
    assert transcripts[0].stop_reason == "answered"
    assert transcripts[1].stop_reason == "backend_error"
    assert transcripts[1].error == "HTTP 401: invalid API key"


def test_a_crashing_backend_does_not_crash_the_run() -> None:
    class Broken:
        name = "broken"

        def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
            raise ConnectionError("connection reset by peer")

    [t] = run_conversations([Request(PROBLEM, "choice")], Broken(), progress=False)
    assert t.stop_reason == "backend_error"
    assert "connection reset" in t.error


def test_transcript_round_trips_through_json() -> None:
    from toolwise.bench.transcript import Transcript

    backend = ScriptBackend([call("toy_multiply", {"a": 3, "b": 7}), answer("the answer is A")])
    [t] = run_conversations([Request(PROBLEM, "choice")], backend, progress=False)
    again = Transcript.from_json(t.to_json())
    assert again.to_dict() == t.to_dict()
    assert again.used_tool
