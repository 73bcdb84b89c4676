"""The run's progress bar counts problems (both modes done), tool calls and failures; silent off a terminal."""

from __future__ import annotations

import io

from toy_domain import toy_problems

from toolwise.bench.backends.base import AssistantTurn, Conversation, ParsedToolCall
from toolwise.bench.loop import Request, run_conversations
from toolwise.bench.progress import ProblemProgress, is_terminal


class ToolThenAnswer:
    """Choice mode: one call (the second problem's is malformed), then the answer; no_tool: the answer."""

    name = "script"

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        replies = []
        for c in conversations:
            if c.tools and c.turn == 0:
                bad = c.problem.id.endswith("1")
                args = None if bad else {"a": 3, "b": 7}
                replies.append(AssistantTurn(content="", tool_calls=[ParsedToolCall("toy_multiply", args, "x", None)]))
            else:
                replies.append(AssistantTurn(content="the answer is A"))
        return replies


def test_a_problem_counts_once_both_of_its_conversations_have_ended() -> None:
    problems = toy_problems(3)
    requests = [Request(p, mode) for p in problems for mode in ("no_tool", "choice")]
    progress = ProblemProgress([r.problem.id for r in requests], enabled=False)
    seen: list[tuple[int, int]] = []

    def finished(index: int, transcript) -> None:  # type: ignore[no-untyped-def]
        progress.finished(index, transcript)
        seen.append((index, progress.problems_done))

    transcripts = run_conversations(requests, ToolThenAnswer(), progress=False, on_finish=finished)
    assert sorted(i for i, _ in seen) == list(range(6))  # every request reported exactly once
    # no_tool conversations end on turn 1, choice ones on turn 2: no problem is done until then
    assert [done for i, done in seen if requests[i].mode == "no_tool"] == [0, 0, 0]
    assert progress.problems_done == 3
    assert progress.tool_calls == sum(len(t.tool_calls) for t in transcripts) == 3
    assert progress.tool_errors == sum(t.tool_errors for t in transcripts) >= 1
    assert progress.postfix() == f"tool calls 3 ({progress.tool_errors} errors), failed 0"


def test_a_conversation_that_ends_on_an_error_marks_its_problem_failed() -> None:
    class Broken:
        name = "broken"

        def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
            return [AssistantTurn(content="", error="HTTP 500") for _ in conversations]

    problems = toy_problems(2)
    requests = [Request(p, mode) for p in problems for mode in ("no_tool", "choice")]
    progress = ProblemProgress([r.problem.id for r in requests], enabled=False)
    run_conversations(requests, Broken(), progress=False, on_finish=progress.finished)
    assert progress.problems_done == 2 and len(progress.failed) == 2
    assert progress.postfix().endswith("failed 2")


def test_no_bar_is_drawn_when_output_is_not_a_terminal() -> None:
    assert not is_terminal(io.StringIO())
    progress = ProblemProgress(["a", "a"])  # pytest captures stderr: not a terminal
    assert progress.bar.disable
