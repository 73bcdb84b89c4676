"""The ``anthropic`` backend: the Messages API with native tool use.

The system prompt travels apart from the messages, tool calls are ``tool_use`` blocks in the
assistant's content and tool results are ``tool_result`` blocks in the next user message; tool
schemas go as ``{"name", "description", "input_schema"}``. ``api_key`` and ``base_url`` come from
``--model_args`` or ``ANTHROPIC_API_KEY`` / ``ANTHROPIC_BASE_URL``.
"""

from __future__ import annotations

import functools
import inspect
import json
from typing import Any

try:
    import anthropic
except ImportError as exc:  # an optional extra: say which one
    raise ImportError("backend=anthropic needs the anthropic SDK: pip install 'toolwise[api]'") from exc

from toolwise.bench.backends._api_base import ConcurrentAPIBackend, raw_json
from toolwise.bench.backends.base import AssistantTurn, Conversation, ParsedToolCall

STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "refusal",
}


def to_anthropic_tools(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """OpenAI-style function schemas as Anthropic tool definitions."""
    out = []
    for tool in tools or []:
        function = tool.get("function", tool)
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        out.append(
            {"name": function["name"], "description": function.get("description", ""), "input_schema": parameters}
        )
    return out


def _text(content: Any) -> str:
    if content is None:
        return ""
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def _tool_input(arguments: Any) -> dict[str, Any]:
    """A ``tool_use`` block's input must be an object; an unparsed string is decoded if it can be."""
    if isinstance(arguments, dict):
        return arguments
    if isinstance(arguments, str):
        try:
            value = json.loads(arguments)
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def to_anthropic_messages(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Our chat messages as ``(system, messages)`` for the Messages API.

    Consecutive user-side messages (a tool result followed by a user note) merge into one
    user message, since the API alternates user and assistant. Calls without an id get one, and
    a tool result without ``tool_call_id`` is paired with the pending calls in order.
    """
    system_parts: list[str] = []
    out: list[dict[str, Any]] = []
    pending_ids: list[str] = []

    def append(role: str, blocks: list[dict[str, Any]]) -> None:
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})

    for index, message in enumerate(messages):
        role = message.get("role")
        if role in ("system", "developer"):
            system_parts.append(_text(message.get("content")))
        elif role == "user":
            text = _text(message.get("content"))
            append("user", [{"type": "text", "text": text}] if text else [])
        elif role == "assistant":
            blocks: list[dict[str, Any]] = []
            text = _text(message.get("content"))
            if text.strip():
                blocks.append({"type": "text", "text": text})
            calls = message.get("tool_calls") or []
            if calls:
                pending_ids = []
            for number, call in enumerate(calls):
                function = call.get("function", call)
                call_id = call.get("id") or f"toolu_{index}_{number}"
                pending_ids.append(call_id)
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call_id,
                        "name": function["name"],
                        "input": _tool_input(function.get("arguments")),
                    }
                )
            if blocks:  # the API rejects empty assistant content; an empty turn says nothing anyway
                append("assistant", blocks)
        elif role == "tool":
            call_id = message.get("tool_call_id") or (pending_ids.pop(0) if pending_ids else f"toolu_{index}")
            if call_id in pending_ids:
                pending_ids.remove(call_id)
            append("user", [{"type": "tool_result", "tool_use_id": call_id, "content": _text(message.get("content"))}])
        else:
            raise ValueError(f"message {index}: unknown role {role!r}")
    return "\n\n".join(part for part in system_parts if part), [m for m in out if m["content"]]


class AnthropicBackend(ConcurrentAPIBackend):
    """Anthropic Messages API with native tool use, concurrent, retried, cached, priced."""

    name = "anthropic"
    provider = "Anthropic"
    key_env_var = "ANTHROPIC_API_KEY"
    base_url_env_var = "ANTHROPIC_BASE_URL"
    client_class = "AsyncAnthropic"
    default_base_url = "https://api.anthropic.com"

    def __init__(self, *, model: str, send_sampling: bool = True, **kwargs: Any) -> None:
        super().__init__(model=model, **kwargs)
        self.send_sampling = bool(send_sampling)

    def _sdk(self) -> Any:
        return anthropic

    def cache_identity(self) -> dict[str, Any]:
        return super().cache_identity() | {"send_sampling": self.send_sampling}

    def _build_request(self, conv: Conversation) -> dict[str, Any]:
        sampling = conv.sampling
        system, messages = to_anthropic_messages(conv.messages)
        request: dict[str, Any] = {"model": self.model, "max_tokens": self.reply_budget(conv), "messages": messages}
        if system:
            request["system"] = system
        if conv.tools:
            request["tools"] = to_anthropic_tools(conv.tools)
        # The API rejects stop sequences made only of whitespace (lm-eval's default "\n\n").
        stop = [s for s in sampling.stop if s.strip()]
        if stop:
            request["stop_sequences"] = stop
        if self.send_sampling:
            params = {"temperature": sampling.temperature}
            if sampling.top_p < 1:
                params["top_p"] = sampling.top_p
            if _create_accepts("temperature"):
                request.update(params)
            else:  # SDKs from 2.x no longer list sampling parameters; the API still takes them for most models
                request["extra_body"] = params
        if sampling.seed is not None:
            self._warn_once(
                "seed", "the Anthropic API has no seed; runs at temperature 0 are close to, not exactly, repeatable"
            )
        return request

    async def _send(self, client: Any, request: dict[str, Any]) -> Any:
        return await client.messages.create(**request)

    def _parse_response(self, conv: Conversation, response: Any) -> AssistantTurn:
        raw = raw_json(response)
        usage = response.usage
        # input_tokens excludes prompt-cache reads and writes; count them in (we set no cache_control,
        # so they are normally 0) and charge them at the input price.
        tokens_in = sum(
            int(getattr(usage, field, 0) or 0)
            for field in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        )
        tokens_out = int(getattr(usage, "output_tokens", 0) or 0)
        texts: list[str] = []
        calls: list[ParsedToolCall] = []
        for block in response.content or []:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "tool_use":
                arguments = block.input if isinstance(block.input, dict) else None
                error = (
                    None if arguments is not None else f"tool input must be an object, got {type(block.input).__name__}"
                )
                calls.append(
                    ParsedToolCall(
                        name=block.name,
                        arguments=arguments,
                        raw=json.dumps(block.input, ensure_ascii=False),
                        parse_error=error,
                        id=block.id,
                    )
                )
        stop_reason = response.stop_reason
        finish = STOP_REASONS.get(stop_reason, stop_reason) if stop_reason else ("tool_calls" if calls else "stop")
        return AssistantTurn(
            content="".join(texts),
            tool_calls=calls,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=self._cost(tokens_in, tokens_out),
            finish_reason=finish,
            raw=raw,
        )


@functools.cache
def _create_accepts(parameter: str) -> bool:
    return parameter in inspect.signature(anthropic.resources.messages.AsyncMessages.create).parameters
