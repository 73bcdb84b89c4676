"""The conversation loop: every open conversation advances one turn at a time.

Each turn sends all unfinished conversations to the backend as one batch (a
local engine sees one batch per turn; API backends run them concurrently),
runs the tool calls in the replies and appends their results. Malformed calls
become tool messages the model can read; nothing a model writes ends the run.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from toolwise.bench.answer_tool import ANSWER_TOOL_NAME, answer_from_call, answer_tool_schema
from toolwise.bench.answers import as_text, extract_answer
from toolwise.bench.backends._retry import FatalBackendError
from toolwise.bench.backends.base import AssistantTurn, Backend, Conversation, ParsedToolCall, stable_call_id
from toolwise.bench.problem import Problem
from toolwise.bench.prompts import opening_messages
from toolwise.bench.sampling import Sampling
from toolwise.bench.transcript import Mode, ToolCallRecord, Transcript
from toolwise.tools import ToolError, ToolResult, get_tool, registered_tools
from toolwise.tools._registry import canonical_arguments

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoopLimits:
    """Caps that keep a conversation finite."""

    max_turns: int = 8
    max_tool_calls: int = 10
    max_tool_result_chars: int = 6000
    tool_workers: int = min(8, os.cpu_count() or 1)  # tool calls of one turn run this many at a time

    def __post_init__(self) -> None:
        for name in ("max_turns", "max_tool_calls", "max_tool_result_chars", "tool_workers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")


# What a tool message or an error quotes of the model's own input (a 10 MB argument must not echo back).
MAX_QUOTED_CHARS = 300


@dataclass
class Request:
    """One problem to ask in one mode; ``sampling`` given as lm-eval gen_kwargs is parsed into a ``Sampling``."""

    problem: Problem
    mode: Mode
    sampling: Sampling = field(default_factory=Sampling)
    system_instruction: str | None = None
    answer_tool: bool = False  # choice mode also offers answer_question, read as a direct answer (answer_tool.py)

    def __post_init__(self) -> None:
        self.sampling = Sampling.from_gen_kwargs(self.sampling)


def import_tool_modules(modules: Iterable[str]) -> None:
    """Import the modules whose import registers tools (e.g. ``toolwise.tools.pde``)."""
    for name in modules:
        importlib.import_module(name)


def tool_schemas(problem: Problem) -> list[dict[str, Any]]:
    """The schemas of the tools a problem offers; imports its domain's tool modules if they are missing."""
    missing = [name for name in problem.tools if name not in registered_tools()]
    if missing:
        from toolwise.bench.task_index import find_domain

        domain = find_domain(problem.domain)
        if domain is not None:
            domain.import_tools()  # import errors inside a domain's tools must surface
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
        if self.tools is not None and request.answer_tool and request.mode == "choice":
            self.tools = [*self.tools, answer_tool_schema()]
        self.offered = {s["function"]["name"] for s in self.tools or []}
        self.transcript = Transcript(problem_id=problem.id, mode=request.mode)
        self.transcript.messages = opening_messages(problem, request.mode, request.system_instruction)
        self.done = False
        self.pending: list[_PendingCall] = []  # this turn's tool calls, run by run_conversations
        self.content = ""  # this turn's assistant text

    @classmethod
    def failed(cls, request: Request, limits: LoopLimits, error: str) -> _State:
        """A conversation that could not even start (e.g. its problem offers an unregistered tool)."""
        state = cls.__new__(cls)
        state.request, state.limits, state.tools, state.offered = request, limits, None, set()
        state.pending, state.content = [], ""
        state.transcript = Transcript(problem_id=request.problem.id, mode=request.mode)
        state.transcript.error = error
        state.transcript.stop_reason = "setup_error"
        state.done = True
        return state

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
        text = as_text(text)
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
        content = as_text(reply.content)
        if reply.error is not None:
            t.error = as_text(reply.error)
            self.finish(content, "backend_error")
            return
        calls = list(reply.tool_calls or []) if self.tools is not None else []
        if ANSWER_TOOL_NAME in self.offered and any(c.name == ANSWER_TOOL_NAME for c in calls):
            self._answer_by_call(content, calls)
            return
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if not calls:
            t.messages.append(message)
            reason = "length" if reply.finish_reason == "length" else "answered"
            self.finish(content, reason)
            return
        calls = self._within_limit(calls)
        conversation = self.conversation()
        for index, call in enumerate(calls):
            call.id = call.id if isinstance(call.id, str) and call.id else stable_call_id(conversation, index)
            call.name = _clip(as_text(call.name), 100)
            if call.arguments is not None and not isinstance(call.arguments, dict):
                call.raw, call.arguments = _clip(_jsonish(call.arguments), MAX_QUOTED_CHARS), None
                call.parse_error = call.parse_error or "arguments must be a JSON object"
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments if call.arguments is not None else {}},
            }
            for call in calls
        ]
        t.messages.append(message)
        self.pending = []
        for call in calls:
            self._check(call)
        self.content = content

    def _answer_by_call(self, content: str, calls: list[ParsedToolCall]) -> None:
        """A reply that calls answer_question ends the conversation with that answer: a direct answer, not a
        tool use. Real calls beside it are recorded as attempts (the model did reach for a tool) but not run."""
        t = self.transcript
        answer = next(c for c in calls if c.name == ANSWER_TOOL_NAME)
        for call in calls:
            if call is not answer:
                arguments = call.arguments if call.arguments is not None else _clip(as_text(call.raw), MAX_QUOTED_CHARS)
                t.tool_calls.append(
                    ToolCallRecord(
                        name=call.name, arguments=arguments, error="not run: the same reply gave the final answer"
                    )
                )
        text = as_text(answer_from_call(answer.arguments if answer.arguments is not None else answer.raw))
        t.messages.append(
            {
                "role": "assistant",
                "content": content,
                "tool_calls": [
                    {
                        "id": "call_answer",
                        "type": "function",
                        "function": {"name": ANSWER_TOOL_NAME, "arguments": {"answer": text}},
                    }
                ],
            }
        )
        self.finish(text, "answered")

    def _within_limit(self, calls: list[ParsedToolCall]) -> list[ParsedToolCall]:
        """The calls of this turn that are recorded: up to the limit, or the first one to hear it is reached.

        Calls past ``max_tool_calls`` are only counted, so a reply with 10,000 calls records at most the limit
        (plus one refusal a turn).
        """
        room = self.limits.max_tool_calls - len(self.transcript.tool_calls)
        kept = calls[: max(room, 1)]
        self.transcript.tool_calls_over_limit += len(calls) - len(kept)
        return kept

    def _check(self, call: ParsedToolCall) -> None:
        """A call of this turn with its record; the error is set unless the call may run."""
        t = self.transcript
        arguments = call.arguments if call.arguments is not None else _clip(as_text(call.raw), MAX_QUOTED_CHARS)
        record = ToolCallRecord(name=call.name, arguments=arguments)
        if len(t.tool_calls) + len(self.pending) >= self.limits.max_tool_calls:
            record.error = f"tool call limit of {self.limits.max_tool_calls} reached; answer the question now"
        elif call.parse_error is not None or call.arguments is None:
            reason = _clip(as_text(call.parse_error or "no arguments"), MAX_QUOTED_CHARS)
            record.error = (
                f"could not parse the call to '{call.name}': {reason}. "
                "Call the tool again with its arguments as a JSON object."
            )
        elif call.name not in self.offered:
            record.error = f"unknown tool '{call.name}'; available tools: {', '.join(sorted(self.offered))}"
        self.pending.append(_PendingCall(call, record))  # the limit check above counts the calls before it

    def close_turn(self) -> None:
        """Append this turn's tool results (run by now) and stop at the turn limit."""
        t = self.transcript
        for pending in self.pending:
            record, call = pending.record, pending.call
            if pending.result is not None:
                result = pending.result
                record.seconds, record.cached = result.seconds, result.cached
                t.tool_seconds += result.seconds
                if result.ok:
                    record.result = _truncate(result.as_message(), self.limits.max_tool_result_chars)
                else:
                    record.error = _tool_error(as_text(result.error), self.limits.max_tool_result_chars)
            t.tool_calls.append(record)
            if record.error is not None:
                t.tool_errors += 1
            content = record.result if record.error is None else f"Error: {record.error}"
            t.messages.append({"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content})
        self.pending = []
        if t.turns >= self.limits.max_turns:
            self.finish(self.content, "max_turns")

    def fail(self, exc: BaseException) -> None:
        """Record an error reading this conversation's reply; the other conversations go on."""
        log.warning(
            "problem %s (%s): could not read the reply: %s: %s",
            self.request.problem.id,
            self.request.mode,
            type(exc).__name__,
            _clip(str(exc), MAX_QUOTED_CHARS),
        )
        self.pending = []
        self.transcript.error = f"reply could not be read: {type(exc).__name__}: {_clip(str(exc), MAX_QUOTED_CHARS)}"
        self.transcript.stop_reason = "reply_error"
        self.done = True


@dataclass
class _PendingCall:
    """One tool call of the current turn: ``record.error`` set means it will not run."""

    call: ParsedToolCall
    record: ToolCallRecord
    result: ToolResult | None = None

    @property
    def runs(self) -> bool:
        return self.record.error is None


def _clip(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text`` (what an error message quotes of the model's input)."""
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"


def _tool_error(error: str, limit: int) -> str:
    """A tool's error as the model reads it: argument-validation errors quote the model's input, so they are cut
    to a few hundred characters (a 10 MB argument must not come back); others (a traceback) to the result cap."""
    if error.startswith("invalid arguments for"):
        return _clip(error, 2 * MAX_QUOTED_CHARS)
    return _clip(error, limit)


def _jsonish(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [truncated {len(text) - limit} characters]"


def run_conversations(
    requests: Sequence[Request],
    backend: Backend,
    limits: LoopLimits | None = None,
    progress: bool = True,
    on_finish: Callable[[int, Transcript], None] | None = None,
) -> list[Transcript]:
    """Run every request to its end and return one transcript each, in order.

    ``on_finish(i, transcript)`` is called once when request ``i`` ends (e.g. a progress display).
    """
    limits = limits or LoopLimits()
    states = [_start(r, limits) for r in requests]
    index_of = {id(s): i for i, s in enumerate(states)}
    finished = on_finish or (lambda index, transcript: None)
    for index, state in enumerate(states):
        if state.done:  # it could not start
            finished(index, state.transcript)
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
            _safely(state, state.apply, reply)
        run_tool_calls([p for s in active if not s.done for p in s.pending if p.runs], limits.tool_workers)
        for state in active:
            if not state.done:
                _safely(state, state.close_turn)
            if state.done:
                bar.update(1)
                finished(index_of[id(state)], state.transcript)
    bar.close()
    return [s.transcript for s in states]


def _start(request: Request, limits: LoopLimits) -> _State:
    try:
        return _State(request, limits)
    except Exception as exc:
        log.error("problem %s (%s) could not start: %s", request.problem.id, request.mode, exc)
        return _State.failed(request, limits, f"{type(exc).__name__}: {exc}")


def _safely(state: _State, step: Any, *args: Any) -> None:
    """Run one conversation's step; anything it raises becomes that conversation's error alone."""
    try:
        step(*args)
    except FatalBackendError:
        raise
    except (Exception, RecursionError, MemoryError) as exc:
        state.fail(exc)


def run_tool_calls(pending: list[_PendingCall], workers: int) -> None:
    """Run the turn's tool calls, ``workers`` at a time, with the results of the serial order.

    Distinct calls run concurrently; a repeat of a call (same tool, same arguments) waits for the first and
    then reads the tool's cache, as it would have one after the other.
    """
    first: dict[str, _PendingCall] = {}
    repeats: list[_PendingCall] = []
    for item in pending:
        key = f"{item.call.name}|{_arguments_key(item.call.arguments)}"
        if key in first:
            repeats.append(item)
        else:
            first[key] = item
    distinct = list(first.values())
    if workers > 1 and len(distinct) > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="toolwise-tool") as pool:
            for item, result in zip(distinct, pool.map(_call_tool, distinct), strict=True):
                item.result = result
    else:
        for item in distinct:
            item.result = _call_tool(item)
    for item in repeats:
        item.result = _call_tool(item)


def _arguments_key(arguments: Any) -> str:
    try:
        return canonical_arguments(arguments)
    except (TypeError, ValueError, RecursionError):
        return repr(arguments)


def _call_tool(item: _PendingCall) -> ToolResult:
    try:
        return get_tool(item.call.name).call(item.call.arguments)
    except Exception as exc:  # ToolSpec.call never raises; a tool bug still must not end the run
        return ToolResult(error=f"the tool failed unexpectedly: {type(exc).__name__}: {_clip(str(exc), 300)}")


def _generate(backend: Backend, conversations: list[Conversation]) -> list[AssistantTurn]:
    """Call the backend; when the whole batch crashes, each conversation is asked again on its own.

    So an exception caused by one conversation (a reply the backend cannot read) becomes that conversation's
    error, and the others get their answers. FatalBackendError (bad credentials, no quota, a server that
    cannot be reached) stops the run with its message instead.
    """
    try:
        replies = backend.generate(conversations)
        if len(replies) != len(conversations):
            raise RuntimeError(f"backend {backend.name} returned {len(replies)} replies for {len(conversations)}")
        return replies
    except FatalBackendError:
        raise  # a wrong key or exhausted quota: every further request would fail the same way
    except (Exception, RecursionError, MemoryError) as exc:
        if len(conversations) == 1:
            log.warning(
                "backend %s failed on problem %s: %s: %s",
                backend.name,
                conversations[0].problem.id,
                type(exc).__name__,
                _clip(str(exc), MAX_QUOTED_CHARS),
            )
            return [AssistantTurn(content="", error=f"{type(exc).__name__}: {_clip(str(exc), MAX_QUOTED_CHARS)}")]
        log.warning(
            "backend %s failed on a batch of %d (%s: %s); asking each conversation alone",
            backend.name,
            len(conversations),
            type(exc).__name__,
            _clip(str(exc), MAX_QUOTED_CHARS),
        )
    return [_generate(backend, [conversation])[0] for conversation in conversations]
