"""The answer call: ``answer_question`` is a direct answer, never a tool use, and only where it is offered."""

from __future__ import annotations

import json

import pytest
from toy_domain import toy_problems

from toolwise.bench.answer_tool import ANSWER_TOOL_NAME, answer_from_call
from toolwise.bench.backends.base import AssistantTurn, Conversation, ParsedToolCall
from toolwise.bench.lmeval_model import _answer_tool_setting
from toolwise.bench.loop import Request, run_conversations
from toolwise.bench.scoring import process_results

PROBLEM = toy_problems(1)[0]  # 3 x 7, key "A" (21.0)


class OneReply:
    """Every conversation gets the same reply; records the tools each one was offered."""

    name = "one-reply"

    def __init__(self, *calls: ParsedToolCall, content: str = "") -> None:
        self.calls, self.content = list(calls), content
        self.offered: list[list[str]] = []

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        self.offered += [[t["function"]["name"] for t in c.tools or []] for c in conversations]
        return [AssistantTurn(content=self.content, tool_calls=list(self.calls)) for _ in conversations]


def answer_call(text: str) -> ParsedToolCall:
    return ParsedToolCall(ANSWER_TOOL_NAME, {"answer": text}, json.dumps({"answer": text}))


def test_an_answer_call_is_the_final_answer_and_no_tool_use() -> None:
    backend = OneReply(answer_call("3 x 7 = 21, so the answer is A"))
    [t] = run_conversations([Request(PROBLEM, "choice", answer_tool=True)], backend, progress=False)
    assert backend.offered == [["toy_multiply", ANSWER_TOOL_NAME]]
    assert (t.stop_reason, t.answer, t.turns) == ("answered", "A", 1)
    assert t.n_tool_attempts == 0 and not t.used_tool
    assert t.final_text == "3 x 7 = 21, so the answer is A"


def test_it_counts_as_no_tool_in_the_quadrants() -> None:
    [no_tool] = run_conversations([Request(PROBLEM, "no_tool")], OneReply(content="the answer is A"), progress=False)
    [choice] = run_conversations(
        [Request(PROBLEM, "choice", answer_tool=True)], OneReply(answer_call("the answer is A")), progress=False
    )
    scores = process_results({"problem": json.dumps(PROBLEM.to_dict())}, [no_tool.to_json(), choice.to_json()])
    assert (scores["n_EN"], scores["n_ET"], scores["acc_choice"]) == (1, 0, 1.0)


def test_real_calls_beside_it_are_attempts_that_do_not_run() -> None:
    backend = OneReply(ParsedToolCall("toy_multiply", {"a": 3, "b": 7}, "raw"), answer_call("the answer is A"))
    [t] = run_conversations([Request(PROBLEM, "choice", answer_tool=True)], backend, progress=False)
    assert t.answer == "A" and t.n_tool_attempts == 1
    assert t.tool_calls[0].result is None and "not run" in t.tool_calls[0].error


def test_without_answer_tool_it_is_an_unknown_tool() -> None:
    backend = OneReply(answer_call("the answer is A"))
    [t] = run_conversations([Request(PROBLEM, "choice")], backend, progress=False)
    assert backend.offered[0] == ["toy_multiply"]
    assert t.n_tool_attempts >= 1 and "unknown tool 'answer_question'" in t.tool_calls[0].error


def test_no_tool_mode_never_offers_it() -> None:
    backend = OneReply(content="the answer is A")
    run_conversations([Request(PROBLEM, "no_tool", answer_tool=True)], backend, progress=False)
    assert backend.offered == [[]]


@pytest.mark.parametrize(
    ("arguments", "text"),
    [({"answer": "x"}, "x"), ({"solution": "y"}, "y"), ({"answer": 4}, "4"), ("raw text", "raw text"), (None, "")],
)
def test_answer_text_from_any_argument_shape(arguments: object, text: str) -> None:
    assert answer_from_call(arguments) == text


def test_auto_reads_the_checkpoint_marker(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _answer_tool_setting("auto", tmp_path) is False
    (tmp_path / "toolwise.json").write_text(json.dumps({"answer_tool": True}))
    assert _answer_tool_setting("auto", tmp_path) is True
    assert _answer_tool_setting("false", tmp_path) is False
    (tmp_path / "toolwise.json").write_text("[1, 2")
    with pytest.raises(ValueError, match=r"toolwise\.json"):
        _answer_tool_setting("auto", tmp_path)
