"""Scripted policies for tests and calibration: oracle, always, never.

All three share one rule of what they "know": a problem is known when a
stable hash of its id is even (about half). In ``no_tool`` mode they answer
known problems right and the rest wrong. In ``choice`` mode ``oracle``
answers known problems directly and replays the reference tool calls on the
rest, ``always`` replays them on every problem, ``never`` answers as in
``no_tool``. So ``oracle`` scores acc_choice = tool_use_acc = 1, and the two
others tool_use_acc = 0.5.

After calling tools a policy answers from what the tools returned, not from the
key: the domain's ``toolwise.tasks.<domain>.generate.key_from_tool_results``
reads the answer out of the tool messages it got. A tool that fails or returns
something else lowers the score, so a calibration run sees a broken tool (e.g.
no sandbox). A domain without that function is answered from the key (logged once).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from toolwise.bench.backends.base import AssistantTurn, Conversation, ParsedToolCall
from toolwise.bench.problem import LETTERS, Problem

log = logging.getLogger(__name__)


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


KeyReader = Callable[[Problem, list[Any]], Any]
_warned_domains: set[str] = set()


def key_reader(domain: str) -> KeyReader | None:
    """The domain's ``key_from_tool_results`` (from the domain index, bench/task_index.py), or None."""
    from toolwise.bench.task_index import find_domain

    found = find_domain(domain)
    reader = found.key_from_tool_results if found is not None else None
    if reader is None and domain not in _warned_domains:
        _warned_domains.add(domain)
        log.warning("scripted policies: domain %r has no key_from_tool_results; answering from the key", domain)
    return reader


def tool_results(conversation: Conversation) -> list[Any] | None:
    """The tool messages' contents (JSON decoded where they are JSON); None if any tool call failed."""
    results: list[Any] = []
    for message in conversation.messages:
        if message.get("role") != "tool":
            continue
        content = message.get("content")
        if not isinstance(content, str) or content.startswith("Error:"):
            return None
        try:
            results.append(json.loads(content))
        except json.JSONDecodeError:
            results.append(content)
    return results


def answer_from_tools(problem: Problem, conversation: Conversation) -> str:
    """What a policy answers after its tool calls: the key the results imply, or a wrong answer without one."""
    reader = key_reader(problem.domain)
    if reader is None:
        return correct_text(problem)
    results = tool_results(conversation)
    if results is None:
        return wrong_text(problem)  # a tool failed: the policy has nothing to answer from
    try:
        key = reader(problem, results)
    except Exception as exc:  # the results do not hold the answer: as good as a failed tool
        log.debug("problem %s: no key from the tool results (%s)", problem.id, exc)
        return wrong_text(problem)
    if problem.answer_type == "open":
        return correct_text(problem) if key == problem.answer else wrong_text(problem)
    if problem.answer_type == "numeric":
        return f"the answer is {float(key):.6g}"
    return f"the answer is {key}"


class ScriptedBackend:
    """Base of the three policies; subclasses say when to call tools in choice mode."""

    name = "scripted"

    def __init__(self, **kwargs: Any) -> None:
        # lm-eval's generic settings mean nothing to a policy; anything else is a misspelt argument.
        unknown = sorted(set(kwargs) - {"batch_size", "max_batch_size", "device"})
        if unknown:
            raise ValueError(
                f"{self.name} backend: unknown model_args {unknown}; a scripted policy takes none besides the "
                "loop's (max_turns, max_tool_calls, max_tool_result_chars, tool_workers, progress, cache, cache_dir)"
            )
        self.options = kwargs

    def calls_tools(self, problem: Problem) -> bool:
        raise NotImplementedError

    def cache_identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.name, "policy": "answers from tool results"}

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
        if conversation.tools and wants_tools and problem.reference_calls:
            return AssistantTurn(content=answer_from_tools(problem, conversation))
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
