"""Scripted policies for tests and calibration: oracle, always, never.

All three share one rule of what they "know": a problem is known when a
stable hash of its id is even (about half). In ``no_tool`` mode they answer
known problems right and the rest wrong. In ``choice`` mode ``oracle``
answers known problems directly and replays the reference tool calls on the
rest, ``always`` replays them on every problem, ``never`` answers as in
``no_tool``. So ``oracle`` scores acc_choice = tool_use_acc = 1, and the two
others tool_use_acc = 0.5.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from toolwise.bench.backends.base import AssistantTurn, Conversation, ParsedToolCall
from toolwise.bench.problem import LETTERS, Problem


def knows(problem: Problem) -> bool:
    """The shared rule: known when the SHA-256 of the id is even."""
    return int(hashlib.sha256(problem.id.encode()).hexdigest(), 16) % 2 == 0


def correct_text(problem: Problem) -> str:
    if problem.answer_type == "open":
        rubric = problem.answer if isinstance(problem.answer, dict) else {}
        return str(rubric.get("reference_answer") or problem.solution)
    if problem.answer_type == "numeric":
        return f"the answer is {problem.answer:.6g}"
    return f"the answer is {problem.answer}"


def wrong_text(problem: Problem) -> str:
    if problem.answer_type == "mcq":
        wrong = LETTERS[(LETTERS.index(problem.answer) + 1) % len(LETTERS)]
        return f"the answer is {wrong}"
    if problem.answer_type == "numeric":
        return f"the answer is {2 * problem.answer + 1:.6g}"
    return "Answer: I do not know."


def _has_tool_results(conversation: Conversation) -> bool:
    return any(m.get("role") == "tool" for m in conversation.messages)


class ScriptedBackend:
    """Base of the three policies; subclasses say when to call tools in choice mode."""

    name = "scripted"

    def __init__(self, **kwargs: Any) -> None:
        # lm-eval passes batch_size/device and any extra model_args; a scripted policy needs none of them.
        self.options = kwargs

    def calls_tools(self, problem: Problem) -> bool:
        raise NotImplementedError

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        return [self._reply(c) for c in conversations]

    def _reply(self, conversation: Conversation) -> AssistantTurn:
        problem = conversation.problem
        wants_tools = conversation.mode == "forced" or (conversation.mode == "choice" and self.calls_tools(problem))
        if conversation.tools and wants_tools and problem.reference_calls and not _has_tool_results(conversation):
            calls = [
                ParsedToolCall(name=c.name, arguments=dict(c.arguments), raw=json.dumps(c.to_dict()))
                for c in problem.reference_calls
            ]
            return AssistantTurn(content="", tool_calls=calls, finish_reason="tool_calls")
        if wants_tools or knows(problem):
            return AssistantTurn(content=correct_text(problem))
        return AssistantTurn(content=wrong_text(problem))


class OracleBackend(ScriptedBackend):
    """Calls tools exactly on the problems it does not know."""

    name = "oracle"

    def calls_tools(self, problem: Problem) -> bool:
        return not knows(problem)


class AlwaysBackend(ScriptedBackend):
    """Calls tools on every problem."""

    name = "always"

    def calls_tools(self, problem: Problem) -> bool:
        return True


class NeverBackend(ScriptedBackend):
    """Never calls a tool."""

    name = "never"

    def calls_tools(self, problem: Problem) -> bool:
        return False
