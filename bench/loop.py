"""The conversation loop: every open conversation advances one turn at a time.

Each turn sends all unfinished conversations to the backend as one batch (a
local engine sees one batch per turn; API backends run them concurrently),
runs the tool calls in the replies and appends their results. Malformed calls
become tool messages the model can read; nothing a model writes ends the run.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from toolwise.bench.answers import extract_answer
from toolwise.bench.backends._retry import FatalBackendError
from toolwise.bench.backends.base import AssistantTurn, Backend, Conversation, ParsedToolCall, stable_call_id
from toolwise.bench.problem import Problem
from toolwise.bench.prompts import opening_messages
from toolwise.bench.transcript import Mode, ToolCallRecord, Transcript
from toolwise.tools import ToolError, get_tool, registered_tools

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoopLimits:
    """Caps that keep a conversation finite."""

    max_turns: int = 8
    max_tool_calls: int = 10
    max_tool_result_chars: int = 6000


@dataclass
class Request:
    """One problem to ask in one mode."""

    problem: Problem
    mode: Mode
    sampling: dict[str, Any] = field(default_factory=dict)
    system_instruction: str | None = None


def import_tool_modules(modules: Iterable[str]) -> None:
    """Import the modules whose import registers tools (e.g. ``toolwise.tools.pde``)."""
    for name in modules:
        importlib.import_module(name)


def tool_schemas(problem: Problem) -> list[dict[str, Any]]:
    """The schemas of the tools a problem offers; imports ``toolwise.tools.<domain>`` if they are missing."""
    missing = [name for name in problem.tools if name not in registered_tools()]
    if missing:
        # Convention: a domain's tools live in toolwise.tools.<domain>; import errors inside it must surface.
        module = f"toolwise.tools.{problem.domain}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    schemas = []
    for name in problem.tools:
        try:
            schemas.append(get_tool(name).schema())
        except ToolError as exc:
            raise ToolError(f"problem {problem.id} offers a tool that is not registered: {exc}") from None
    return schemas


class _State:
    """A conversation in progress and the transcript being filled."""

    def __init__(self, request: Request, limits: LoopLimits) -> None:
        self.request = request
        self.limits = limits
        problem = request.problem
        offered = request.mode != "no_tool" and bool(problem.tools)
        self.tools = tool_schemas(problem) if offered else None
        self.offered = {s["function"]["name"] for s in self.tools or []}
        self.transcript = Transcript(problem_id=problem.id, mode=request.mode)
        self.transcript.messages = opening_messages(problem, request.mode, request.system_instruction)
        self.done = False

    def conversation(self) -> Conversation:
        return Conversation(
            problem=self.request.problem,
            mode=self.request.mode,
            messages=self.transcript.messages,
            tools=self.tools,
            sampling=self.request.sampling,
            turn=self.transcript.turns,
        )

    def finish(self, text: str, reason: str) -> None:
        t = self.transcript
        t.final_text = text
        t.answer = extract_answer(self.request.problem.answer_type, text)
        t.stop_reason = reason
        self.done = True

    def apply(self, reply: AssistantTurn) -> None:
        t = self.transcript
        t.turns += 1
        t.tokens_in += reply.tokens_in
        t.tokens_out += reply.tokens_out
        t.cost_usd += reply.cost_usd
        if reply.error is not None:
            t.error = reply.error
            self.finish(reply.content or "", "backend_error")
            return
        calls = reply.tool_calls if self.tools is not None else []
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or ""}
        if not calls:
            t.messages.append(message)
            reason = "length" if reply.finish_reason == "length" else "answered"
            self.finish(reply.content or "", reason)
            return
        conversation = self.conversation()
        for index, call in enumerate(calls):
            call.id = call.id or stable_call_id(conversation, index)
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments if call.arguments is not None else {}},
            }
            for call in calls
        ]
        t.messages.append(message)
        for call in calls:
            t.messages.append(self._run_tool(call))
        if t.turns >= self.limits.max_turns:
            self.finish(reply.content or "", "max_turns")

    def _run_tool(self, call: ParsedToolCall) -> dict[str, Any]:
        t = self.transcript
        record = ToolCallRecord(name=call.name, arguments=call.arguments if call.arguments is not None else call.raw)
        if len(t.tool_calls) >= self.limits.max_tool_calls:
            record.error = f"tool call limit of {self.limits.max_tool_calls} reached; answer the question now"
        elif call.parse_error is not None or call.arguments is None:
            record.error = (
                f"could not parse the call to '{call.name}': {call.parse_error or 'no arguments'}. "
                "Call the tool again with its arguments as a JSON object."
            )
        elif call.name not in self.offered:
            record.error = f"unknown tool '{call.name}'; available tools: {', '.join(sorted(self.offered))}"
        else:
            result = get_tool(call.name).call(call.arguments)
            record.seconds = result.seconds
            record.cached = result.cached
            t.tool_seconds += result.seconds
            if result.ok:
                record.result = _truncate(result.as_message(), self.limits.max_tool_result_chars)
            else:
                record.error = result.error
        t.tool_calls.append(record)
        if record.error is not None:
            t.tool_errors += 1
        content = record.result if record.error is None else f"Error: {record.error}"
        return {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content}


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [truncated {len(text) - limit} characters]"


def run_conversations(
    requests: Sequence[Request],
    backend: Backend,
    limits: LoopLimits | None = None,
    progress: bool = True,
) -> list[Transcript]:
    """Run every request to its end and return one transcript each, in order."""
    limits = limits or LoopLimits()
    states = [_State(r, limits) for r in requests]
    bar = tqdm(total=len(states), desc=f"toolwise[{backend.name}]", unit="conv", disable=not progress)
    turn = 0
    while True:
        active = [s for s in states if not s.done]
        if not active:
            break
        turn += 1
        bar.set_postfix(turn=turn, open=len(active))
        replies = _generate(backend, [s.conversation() for s in active])
        for state, reply in zip(active, replies, strict=True):
            state.apply(reply)
            if state.done:
                bar.update(1)
    bar.close()
    return [s.transcript for s in states]


def _generate(backend: Backend, conversations: list[Conversation]) -> list[AssistantTurn]:
    """Call the backend; a crash of the whole batch becomes an error on each conversation.

    FatalBackendError (bad credentials, no quota) stops the run with its message instead.
    """
    try:
        replies = backend.generate(conversations)
    except FatalBackendError:
        raise  # a wrong key or exhausted quota: every further request would fail the same way
    except Exception as exc:
        log.exception("backend %s failed on a batch of %d", backend.name, len(conversations))
        return [AssistantTurn(content="", error=f"{type(exc).__name__}: {exc}") for _ in conversations]
    if len(replies) != len(conversations):
        raise RuntimeError(f"backend {backend.name} returned {len(replies)} replies for {len(conversations)}")
    return replies
