"""One bad reply spoils only its own conversation; what a model writes stays bounded (issue 14, items 1 and 7)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy_domain import toy_problems

from toolwise.bench.backends._fake_api import FakeChatServer, FakeReply
from toolwise.bench.backends.base import AssistantTurn, Conversation, ParsedToolCall
from toolwise.bench.loop import LoopLimits, Request, run_conversations

sys.path.insert(0, str(Path(__file__).parent / "backends"))
from backend_fakes import api_backend, multiplication_model

REPLY_EXAMPLES = 1500


class PerProblem:
    """Replies chosen per problem id: ``replies[id]`` for that problem, else the right answer."""

    name = "per-problem"

    def __init__(self, replies: dict[str, Any], crash_on: str | None = None) -> None:
        self.replies = replies
        self.crash_on = crash_on
        self.batches: list[int] = []

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        self.batches.append(len(conversations))
        if self.crash_on and any(c.problem.id == self.crash_on for c in conversations):
            raise AttributeError("'NoneType' object has no attribute 'tool_calls'")
        return [self._reply(c) for c in conversations]

    def _reply(self, conv: Conversation) -> AssistantTurn:
        if conv.problem.id in self.replies and conv.turn == 0:
            return self.replies[conv.problem.id]
        return AssistantTurn(content=f"the answer is {conv.problem.answer}")


PROBLEMS = toy_problems(4)  # keys A, B, C, D


def assert_others_answered(transcripts: list[Any], bad: int) -> None:
    for i, t in enumerate(transcripts):
        if i != bad:
            assert (t.error, t.stop_reason, t.answer) == (None, "answered", PROBLEMS[i].answer), i


def test_a_batch_crash_caused_by_one_conversation_fails_only_that_one() -> None:
    backend = PerProblem({}, crash_on=PROBLEMS[2].id)
    transcripts = run_conversations([Request(p, "no_tool") for p in PROBLEMS], backend, progress=False)
    assert_others_answered(transcripts, bad=2)
    assert transcripts[2].stop_reason == "backend_error" and "NoneType" in transcripts[2].error
    assert backend.batches == [4, 1, 1, 1, 1]  # the batch once, then each conversation alone


BAD_REPLIES = {
    "content as a list of parts": AssistantTurn(content=[{"type": "text", "text": "the answer is C"}]),  # type: ignore[arg-type]
    "content None": AssistantTurn(content=None),  # type: ignore[arg-type]
    "tokens as text": AssistantTurn(content="x", tokens_in="many"),  # type: ignore[arg-type]
    "tool_calls None": AssistantTurn(content="the answer is C", tool_calls=None),  # type: ignore[arg-type]
    "a call that is not a call": AssistantTurn(content="", tool_calls=["toy_multiply"]),  # type: ignore[list-item]
    "arguments as a list": AssistantTurn(content="", tool_calls=[ParsedToolCall("toy_multiply", [3, 7])]),  # type: ignore[arg-type]
    "a name that is a number": AssistantTurn(content="", tool_calls=[ParsedToolCall(7, {"a": 1})]),  # type: ignore[arg-type]
    "lone surrogates": AssistantTurn(content="\ud800 the answer is C", tool_calls=[]),
}


@pytest.mark.parametrize("case", sorted(BAD_REPLIES))
def test_a_malformed_reply_is_that_conversations_error_or_answer(case: str) -> None:
    backend = PerProblem({PROBLEMS[2].id: BAD_REPLIES[case]})
    transcripts = run_conversations([Request(p, "choice") for p in PROBLEMS], backend, progress=False)
    assert_others_answered(transcripts, bad=2)
    bad = transcripts[2]
    assert bad.stop_reason in ("answered", "reply_error", "max_turns") or bad.turns > 1
    json.loads(bad.to_json().encode("utf-8"))  # writable as UTF-8, readable back
    if case == "content as a list of parts":
        assert bad.answer == "C"


def _hostile(edit: Any) -> Any:
    def script(request: Any) -> FakeReply:
        reply = multiplication_model(request)
        if "3 times 7" in request.first_user_text() and not request.tool_results():
            reply.body_edit = edit
        return reply

    return script


def _set_message_null(body: dict[str, Any]) -> dict[str, Any]:
    body["choices"][0]["message"] = None
    return body


def _arguments_as_object(body: dict[str, Any]) -> dict[str, Any]:
    body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = {"a": 3, "b": 7}
    return body


def _big_integer(body: dict[str, Any]) -> bytes:
    body["usage"]["prompt_tokens"] = "BIG"
    return json.dumps(body).replace('"BIG"', "9" * 5000).encode()


def _deep_nesting(body: dict[str, Any]) -> bytes:
    body["choices"][0]["message"]["content"] = "DEEP"
    return json.dumps(body).replace('"DEEP"', "[" * 100_000 + "]" * 100_000).encode()


def _surrogate(body: dict[str, Any]) -> dict[str, Any]:
    body["choices"][0]["message"]["content"] = "\ud800 calling"
    return body


HOSTILE_BODIES = {
    '"message": null': _set_message_null,
    "a truncated 200 body": lambda body: json.dumps(body).encode()[:57],
    "a 5,000-digit integer": _big_integer,
    "deep nesting": _deep_nesting,
    "a lone surrogate": _surrogate,
    "arguments as an object": _arguments_as_object,
    "not JSON at all": lambda body: b"<html>502 Bad Gateway</html>",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_BODIES))
def test_a_hostile_server_reply_spoils_only_its_own_problem(case: str) -> None:
    problems = toy_problems(4, answer_type="numeric")  # the first, 3 x 7, gets the hostile body
    with FakeChatServer(_hostile(HOSTILE_BODIES[case])) as server:
        backend = api_backend("openai", server, max_retries=0)
        transcripts = run_conversations([Request(p, "choice") for p in problems], backend, progress=False)
    for problem, t in zip(problems[1:], transcripts[1:], strict=True):
        assert t.error is None and t.answer == problem.answer, (case, t.error)
    first = transcripts[0]
    if case in ("arguments as an object", "a lone surrogate"):  # readable: the conversation goes on
        assert first.error is None and first.answer == 21.0
    else:
        assert (
            first.stop_reason == "backend_error" and "could not be read" in first.error
        ) or "malformed" in first.error
    json.loads(first.to_json().encode("utf-8"))


# ---- fuzzed replies --------------------------------------------------------------------------------------------
junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)
names = st.one_of(st.sampled_from(["toy_multiply", "toy_divide", "", "answer_question"]), st.text(max_size=20), junk)
arguments = st.one_of(
    st.none(),
    st.fixed_dictionaries({"a": st.integers(-2000, 2000), "b": st.integers(-2000, 2000)}),
    st.dictionaries(st.text(max_size=5), junk, max_size=4),
    junk,
)
calls = st.builds(
    ParsedToolCall,
    name=names,
    arguments=arguments,
    raw=st.one_of(st.text(max_size=50), junk),
    parse_error=st.one_of(st.none(), st.text(max_size=30)),
    id=st.one_of(st.none(), st.text(max_size=10), junk),
)
replies = st.builds(
    AssistantTurn,
    content=st.one_of(st.text(max_size=200), junk),
    tool_calls=st.one_of(st.lists(st.one_of(calls, junk), max_size=12), junk),
    tokens_in=st.one_of(st.integers(0, 10**6), junk),
    tokens_out=st.integers(0, 10**6),
    finish_reason=st.one_of(st.sampled_from(["stop", "length", "tool_calls"]), junk),
    error=st.one_of(st.none(), st.none(), st.none(), st.text(max_size=30), junk),
)
tried = {"replies": 0}


@settings(
    max_examples=REPLY_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(reply=replies, mode=st.sampled_from(["choice", "no_tool"]))
def test_fuzzed_replies_never_crash_the_run_nor_touch_other_problems(reply: AssistantTurn, mode: str) -> None:
    tried["replies"] += 1
    backend = PerProblem({PROBLEMS[2].id: reply})
    transcripts = run_conversations(
        [Request(p, mode) for p in PROBLEMS],
        backend,
        LoopLimits(max_turns=3),
        progress=False,  # type: ignore[arg-type]
    )
    assert len(transcripts) == len(PROBLEMS)  # no problem lost
    assert_others_answered(transcripts, bad=2)
    json.loads(transcripts[2].to_json().encode("utf-8"))


def test_the_reply_fuzzer_ran_every_example() -> None:
    # pytest runs tests in file order: the fuzzer above has finished (skipped when run alone)
    if tried["replies"] == 0:
        pytest.skip("run with the fuzzer")
    assert tried["replies"] >= REPLY_EXAMPLES


# ---- bounds ----------------------------------------------------------------------------------------------------
def test_a_ten_megabyte_argument_is_not_echoed_back() -> None:
    huge = "x" * 10_000_000
    reply = AssistantTurn(content="", tool_calls=[ParsedToolCall("toy_multiply", None, huge, "not valid JSON " + huge)])
    backend = PerProblem({PROBLEMS[0].id: reply})
    [t] = run_conversations([Request(PROBLEMS[0], "choice")], backend, progress=False)
    assert t.tool_errors == 1
    assert len(t.tool_calls[0].error) < 600 and len(str(t.tool_calls[0].arguments)) < 600
    assert len(t.to_json()) < 20_000


def test_a_validation_error_quotes_a_few_hundred_characters_of_a_huge_argument() -> None:
    huge = "x" * 10_000_000
    calls = [ParsedToolCall("toy_multiply", {"a": huge, "b": 1}), ParsedToolCall("toy_multiply", {huge: 1})]
    backend = PerProblem({PROBLEMS[0].id: AssistantTurn(content="", tool_calls=calls)})
    [t] = run_conversations([Request(PROBLEMS[0], "choice")], backend, progress=False)
    assert [len(c.error) < 700 for c in t.tool_calls] == [True, True]
    assert "invalid arguments for 'toy_multiply'" in t.tool_calls[0].error
    tool_messages = [m["content"] for m in t.messages if m["role"] == "tool"]
    assert all(len(m) < 700 for m in tool_messages)


def test_ten_thousand_calls_record_at_most_the_limit() -> None:
    many = [ParsedToolCall("toy_multiply", {"a": 1, "b": i}) for i in range(10_000)]
    backend = PerProblem({PROBLEMS[0].id: AssistantTurn(content="", tool_calls=many)})
    [t] = run_conversations([Request(PROBLEMS[0], "choice")], backend, LoopLimits(max_tool_calls=10), progress=False)
    assert len(t.tool_calls) == 10 and all(c.error is None for c in t.tool_calls)
    assert t.tool_calls_over_limit == 9_990 and t.n_tool_attempts == 10_000
    assert len([m for m in t.messages if m["role"] == "tool"]) == 10  # one result per recorded call
    assert t.answer == PROBLEMS[0].answer


def test_tool_calls_run_concurrently_with_the_results_of_the_serial_order() -> None:
    problems = toy_problems(8)

    class Caller:
        name = "caller"

        def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
            out = []
            for c in conversations:
                if c.turn == 0:  # a repeated call and a bad one among good ones
                    args = [{"a": 2, "b": 2}, {"a": 3, "b": c.turn + len(c.problem.id)}, {"a": 13, "b": 13}]
                    out.append(AssistantTurn(content="", tool_calls=[ParsedToolCall("toy_multiply", a) for a in args]))
                else:
                    out.append(AssistantTurn(content=f"the answer is {c.problem.answer}"))
            return out

    def run(workers: int) -> list[dict[str, Any]]:
        from toolwise.tools import get_tool

        get_tool("toy_multiply").clear_cache()
        transcripts = run_conversations(
            [Request(p, "choice") for p in problems], Caller(), LoopLimits(tool_workers=workers), progress=False
        )
        return [
            {**t.to_dict(), "tool_seconds": 0, "tool_calls": [asdict(c) | {"seconds": 0} for c in t.tool_calls]}
            for t in transcripts
        ]

    serial, concurrent = run(1), run(4)
    assert serial == concurrent
    assert [c["cached"] for c in serial[0]["tool_calls"]] == [False, False, False]
    assert next(c["cached"] for c in serial[1]["tool_calls"]) is True  # the repeat reads the cache
