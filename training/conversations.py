"""Training examples as conversations, in the harness's own message convention.

Every example starts with exactly the messages the harness sends at
evaluation (``bench.prompts.opening_messages`` for the mode), so the model
is trained on the prompts it will be tested with:

- ``no_tool``: the paper's P_n prompt -> the tool-free worked solution (WKD,
  and the no-tool share of TUA);
- ``direct``: the P_i prompt with the tools offered -> the same solution
  without a call (TUA, easy questions);
- ``tool``: the P_i prompt with the tools offered -> the teacher's tool calls,
  the tool results and its final answer (TUA, hard questions).

An example is a plain dict ``{id, problem_id, kind, mode, messages, tools}``.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from toolwise.bench.loop import tool_schemas
from toolwise.bench.problem import Problem
from toolwise.bench.prompts import opening_messages
from toolwise.bench.transcript import Transcript

Example = dict[str, Any]


def no_tool_example(problem: Problem, solution: str, kind: str = "no_tool") -> Example:
    """(P_n, question) -> tool-free solution."""
    messages = [*opening_messages(problem, "no_tool"), {"role": "assistant", "content": solution}]
    return _example(problem, kind, "no_tool", messages, None)


def direct_choice_example(problem: Problem, solution: str) -> Example:
    """(P_i with tools, question) -> a direct answer: the easy-question target of TUA."""
    messages = [*opening_messages(problem, "choice"), {"role": "assistant", "content": solution}]
    return _example(problem, "direct", "choice", messages, tool_schemas(problem))


def tool_transcript_example(problem: Problem, transcript: Transcript, final_answer: str | None = None) -> Example:
    """(P_i with tools, question) -> the teacher's calls, their results and an answer: the hard-question target.

    The teacher ran in ``forced`` mode; its opening messages are replaced by
    the ``choice``-mode ones the model sees at evaluation. ``final_answer``
    replaces the teacher's last message (e.g. with the worked solution, which
    restates the tool's numbers and reasons from them to the option).
    """
    turns = [m for m in transcript.messages if m["role"] not in ("system", "user")]
    if not any(m.get("tool_calls") for m in turns):
        raise ValueError(f"transcript of {problem.id} has no tool call")
    turns = one_call_per_turn(turns)
    if final_answer is not None:
        if turns[-1]["role"] != "assistant" or turns[-1].get("tool_calls"):
            raise ValueError(f"transcript of {problem.id} does not end with an answer")
        turns[-1] = {"role": "assistant", "content": final_answer}
    messages = [*opening_messages(problem, "choice"), *turns]
    return _example(problem, "tool", "choice", messages, tool_schemas(problem))


def one_call_per_turn(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Split an assistant message carrying several calls into one call per turn, each followed by its result.

    Several chat formats (Llama-3.1 among them) render a single call per
    assistant turn; the loop runs such turns one after another just the same.
    """
    results = {m.get("tool_call_id"): m for m in messages if m["role"] == "tool"}
    out: list[dict[str, Any]] = []
    for message in messages:
        if message["role"] == "tool":
            continue
        calls = message.get("tool_calls") or []
        if not calls:
            out.append(copy.deepcopy(message))
            continue
        for i, call in enumerate(calls):
            content = (message.get("content") or "") if i == 0 else ""
            out.append({"role": "assistant", "content": content, "tool_calls": [copy.deepcopy(call)]})
            result = results.get(call.get("id"))
            if result is None:
                raise ValueError(f"tool call {call.get('id')} has no result message")
            out.append(copy.deepcopy(result))
    return out


def preference_pair(
    problem: Problem, chosen: str, rejected: str, chosen_score: float, rejected_score: float
) -> Example:
    """A DPO record on the no-tool prompt: trl's conversational prompt/chosen/rejected."""
    return {
        "id": f"{problem.id}/dpo/{hashlib.sha256((chosen + chr(0) + rejected).encode()).hexdigest()[:10]}",
        "problem_id": problem.id,
        "prompt": opening_messages(problem, "no_tool"),
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
        "chosen_score": float(chosen_score),
        "rejected_score": float(rejected_score),
    }


def _example(problem: Problem, kind: str, mode: str, messages: list[dict[str, Any]], tools: Any) -> Example:
    return {
        "id": f"{problem.id}/{kind}",
        "problem_id": problem.id,
        "kind": kind,
        "mode": mode,
        "messages": messages,
        "tools": tools,
    }
