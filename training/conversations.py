"""Training examples as conversations, in the harness's own message convention.

Every example starts with exactly the messages the harness sends at
evaluation (``bench.prompts.opening_messages`` for the mode), so the model
is trained on the prompts it will be tested with:

- ``no_tool``: the paper's P_n prompt -> the tool-free worked solution (WKD,
  and the no-tool share of TUA);
- ``direct``: the P_i prompt with the tools offered -> the solution in a form
  of its own, so that "answer directly" is a decision the model can learn
  rather than the plain text every other example ends with (TUA, easy
  questions; see ``DirectForm``);
- ``tool``: the P_i prompt with the tools offered -> the teacher's tool calls,
  the tool results and its final answer (TUA, hard questions).

An example is a plain dict ``{id, problem_id, kind, mode, messages, tools}``.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any, Literal

from toolwise.bench.answer_tool import ANSWER_TOOL_NAME, answer_tool_schema
from toolwise.bench.loop import tool_schemas
from toolwise.bench.problem import Problem
from toolwise.bench.prompts import opening_messages
from toolwise.bench.transcript import Transcript

Example = dict[str, Any]

# How an easy question's direct answer looks in the tool-offering prompt:
# - "lead": a fixed sentence (``DIRECT_LEAD``) before the worked solution;
# - "answer_call": a call of the pseudo-tool ``answer_question`` carrying the solution (the paper's code), which
#   the harness reads as a direct answer when the model is evaluated with ``answer_tool=true``;
# - "plain": the bare solution, as in the no-tool examples (kept for comparison).
DirectForm = Literal["lead", "answer_call", "plain"]
DIRECT_LEAD = "I can answer this directly."


def no_tool_example(problem: Problem, solution: str, kind: str = "no_tool") -> Example:
    """(P_n, question) -> tool-free solution."""
    messages = [*opening_messages(problem, "no_tool"), {"role": "assistant", "content": solution}]
    return _example(problem, kind, "no_tool", messages, None)


def direct_choice_example(problem: Problem, solution: str, form: DirectForm = "lead") -> Example:
    """(P_i with tools, question) -> a direct answer in ``form``: the easy-question target of TUA."""
    tools = choice_tools(problem, form)
    if form == "answer_call":
        call = {
            "id": "call_answer",
            "type": "function",
            "function": {"name": ANSWER_TOOL_NAME, "arguments": {"answer": solution}},
        }
        reply: dict[str, Any] = {"role": "assistant", "content": "", "tool_calls": [call]}
    elif form == "lead":
        reply = {"role": "assistant", "content": f"{DIRECT_LEAD} {solution}"}
    elif form == "plain":
        reply = {"role": "assistant", "content": solution}
    else:
        raise ValueError(f"unknown direct-answer form {form!r}; use lead, answer_call or plain")
    messages = [*opening_messages(problem, "choice"), reply]
    return _example(problem, "direct", "choice", messages, tools)


def choice_tools(problem: Problem, form: DirectForm) -> list[dict[str, Any]]:
    """The tools a choice-mode example offers: the problem's, plus the answer tool when answers are calls.

    This is what the loop offers at evaluation with ``answer_tool=true`` (same schema, same place).
    """
    tools = tool_schemas(problem)
    return [*tools, answer_tool_schema()] if form == "answer_call" else tools


def tool_transcript_example(
    problem: Problem, transcript: Transcript, final_answer: str | None = None, form: DirectForm = "lead"
) -> Example:
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
    return _example(problem, "tool", "choice", messages, choice_tools(problem, form))


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
