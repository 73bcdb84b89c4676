"""The ``openai`` backend: Chat Completions with native ``tools=`` / ``tool_calls``.

Works with api.openai.com and any OpenAI-compatible server (a local ``vllm serve``, other
providers) through ``base_url=``. ``api_key`` and ``base_url`` come from ``--model_args`` or
``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``. Reasoning models (o1, o3, o4, gpt-5) get
``max_completion_tokens`` and no sampling parameters, which they reject.

``tool_format`` chooses how tools travel: ``native`` (``tools=`` / ``tool_calls``), ``text`` (the hf
backend's fallback for chat templates that ignore ``tools=``: the tools described in the system prompt,
``<tool_call>`` blocks read from the reply's text) or ``auto`` (ask the server once whether ``tools=``
changes a prompt's token count, and use ``text`` if it does not, or if the server rejects ``tools=`` with
HTTP 400 while it answers the same request without them, as ``vllm serve`` does without a tool-call
parser). In ``native`` mode a reply that comes back with no ``tool_calls`` but call-like text is counted
and warned about: the server's template may ignore the tools, or it runs without a tool-call parser.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

try:
    import openai
except ImportError as exc:  # an optional extra: say which one
    raise ImportError("backend=openai needs the openai SDK: pip install 'toolwise[api]'") from exc

from toolwise.bench.backends._api_base import ConcurrentAPIBackend, ResultCallback, raw_json, run_coroutine
from toolwise.bench.backends.base import AssistantTurn, Conversation, ParsedToolCall, stable_call_id
from toolwise.bench.backends.tool_parsing import PROBE_TOOL, parse_tool_calls, text_fallback_messages

log = logging.getLogger(__name__)

REASONING_MODEL = re.compile(r"^(?:.*/)?(o\d|gpt-5)(?!-chat)")
MAX_STOP_SEQUENCES = 4  # the Chat Completions limit
FINISH_REASONS = {"stop": "stop", "tool_calls": "tool_calls", "function_call": "tool_calls", "length": "length"}
TOOL_FORMATS = ("native", "text", "auto")


def parse_tool_arguments(raw: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The arguments of a tool call as a dict, or None and the reason they are unusable.

    The API sends a JSON string; some compatible servers send the object itself, which is taken as it is.
    """
    if isinstance(raw, dict):
        return raw, None
    if raw is not None and not isinstance(raw, str):
        return None, f"arguments must be a JSON object, got {type(raw).__name__}"
    if raw is None or not raw.strip():
        return {}, None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, f"arguments are not valid JSON: {exc.msg} at character {exc.pos}"
    if not isinstance(value, dict):
        return None, f"arguments must be a JSON object, got {type(value).__name__}"
    return value, None


def _arguments_json(arguments: Any) -> str:
    """Arguments as the API wants them back: a JSON string (a raw, unparsed string is sent as it was)."""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments if arguments is not None else {}, ensure_ascii=False)


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def to_openai_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Our chat messages in Chat Completions form.

    Tool-call arguments become JSON strings; tool results keep only ``tool_call_id`` and
    ``content``. Calls without an id (from a local model's transcript) get one, and a tool
    result without ``tool_call_id`` is paired with the pending calls in order.
    """
    out: list[dict[str, Any]] = []
    pending_ids: list[str] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        if role in ("system", "developer", "user"):
            out.append({"role": role, "content": _content_text(message.get("content"))})
        elif role == "assistant":
            calls = message.get("tool_calls") or []
            native: dict[str, Any] = {"role": "assistant", "content": message.get("content") or None}
            if calls:
                native["tool_calls"] = []
                pending_ids = []
                for number, call in enumerate(calls):
                    function = call.get("function", call)
                    call_id = call.get("id") or f"call_{index}_{number}"
                    pending_ids.append(call_id)
                    native["tool_calls"].append(
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {
                                "name": function["name"],
                                "arguments": _arguments_json(function.get("arguments")),
                            },
                        }
                    )
            elif native["content"] is None:
                native["content"] = ""
            out.append(native)
        elif role == "tool":
            call_id = message.get("tool_call_id") or (pending_ids.pop(0) if pending_ids else f"call_{index}")
            if call_id in pending_ids:
                pending_ids.remove(call_id)
            out.append({"role": "tool", "tool_call_id": call_id, "content": _content_text(message.get("content"))})
        else:
            raise ValueError(f"message {index}: unknown role {role!r}")
    return out


class OpenAIBackend(ConcurrentAPIBackend):
    """OpenAI Chat Completions (or a compatible server), concurrent, retried, cached, priced."""

    name = "openai"
    provider = "OpenAI"
    key_env_var = "OPENAI_API_KEY"
    base_url_env_var = "OPENAI_BASE_URL"
    client_class = "AsyncOpenAI"
    default_base_url = "https://api.openai.com/v1"

    def __init__(
        self,
        *,
        model: str,
        reasoning: bool | None = None,
        reasoning_effort: str | None = None,
        max_tokens_param: str = "auto",
        tool_format: str = "native",
        **kwargs: Any,
    ) -> None:
        super().__init__(model=model, **kwargs)
        self.reasoning = bool(REASONING_MODEL.match(self.model)) if reasoning is None else bool(reasoning)
        self.reasoning_effort = reasoning_effort
        if max_tokens_param not in ("auto", "max_tokens", "max_completion_tokens"):
            raise ValueError(
                f"max_tokens_param must be auto, max_tokens or max_completion_tokens, got {max_tokens_param!r}"
            )
        if max_tokens_param == "auto":
            max_tokens_param = "max_completion_tokens" if self.reasoning else "max_tokens"
        self.max_tokens_param = max_tokens_param
        if tool_format not in TOOL_FORMATS:
            raise ValueError(f"tool_format must be one of {', '.join(TOOL_FORMATS)}, got {tool_format!r}")
        self.tool_format = tool_format
        self.text_tools = tool_format == "text"  # auto decides at the first turn that offers tools
        self._probed = tool_format != "auto"
        self.untaken_text_calls = 0  # native replies with call-like text but no tool_calls

    def _sdk(self) -> Any:
        return openai

    def cache_identity(self) -> dict[str, Any]:
        identity = super().cache_identity() | {
            "reasoning": self.reasoning,
            "reasoning_effort": self.reasoning_effort,
            "max_tokens_param": self.max_tokens_param,
        }
        if self.tool_format != "native":  # native runs keep the keys they had before tool_format existed
            identity["tool_format"] = self.tool_format
        return identity

    def generate(
        self, conversations: list[Conversation], on_result: ResultCallback | None = None
    ) -> list[AssistantTurn]:
        if not self._probed and any(conv.tools for conv in conversations):
            self.text_tools = self._server_ignores_tools()
            self._probed = True
        return super().generate(conversations, on_result)

    def _server_ignores_tools(self) -> bool:
        """``tool_format=auto``: True when offering a tool does not lengthen the server's prompt (its chat
        template drops ``tools=``, so the model would never see them)."""

        rejected: list[str] = []

        async def probe() -> tuple[int | None, int | None]:
            client = self._new_client()
            request: dict[str, Any] = {
                "model": self.model,
                "messages": [{"role": "user", "content": "hi"}],
                self.max_tokens_param: 1,
            }
            try:
                plain = await self._send(client, request)
                # The same one-word prompt with and without a tool: equal prompt token counts = tools ignored.
                try:
                    offered = await self._send(client, request | {"tools": [PROBE_TOOL]})
                except openai.BadRequestError as exc:
                    # e.g. vllm serve without --enable-auto-tool-choice: '"auto" tool choice requires ...'
                    rejected.append(str(exc.message))
                    return _prompt_tokens(plain), None
            finally:
                if self.http_client is None:
                    await client.close()
            return _prompt_tokens(plain), _prompt_tokens(offered)

        try:
            without, with_tool = run_coroutine(probe())
        except Exception as exc:
            if self._classify(exc) is None:
                raise
            log.warning("openai backend: tool_format=auto could not probe %s (%s); using native tools", self.model, exc)
            return False
        if rejected:
            log.warning(
                "openai backend: %s answers without tools but rejects a request with tools= (%s); using the text "
                "fallback (tools in the system prompt, <tool_call> read from the text). For native tool calls "
                "start vllm serve with --enable-auto-tool-choice --tool-call-parser <family>",
                self.model,
                rejected[0],
            )
            return True
        if without is None or with_tool is None:
            log.warning("openai backend: the server reports no prompt_tokens; tool_format=auto keeps native tools")
            return False
        if with_tool > without:
            log.info("openai backend: %s renders tools= (%d vs %d prompt tokens)", self.model, with_tool, without)
            return False
        log.warning(
            "openai backend: %s ignores tools= (%d prompt tokens with a tool, %d without): its chat template "
            "drops them; using the text fallback (tools in the system prompt, <tool_call> read from the text)",
            self.model,
            with_tool,
            without,
        )
        return True

    def _build_request(self, conv: Conversation) -> dict[str, Any]:
        sampling = conv.sampling
        text_tools = bool(conv.tools) and self.text_tools
        messages = text_fallback_messages(conv.messages, conv.tools) if text_tools else conv.messages
        request: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(messages),
            self.max_tokens_param: self.reply_budget(conv),
        }
        if conv.tools and not text_tools:
            request["tools"] = conv.tools
        if sampling.seed is not None:
            request["seed"] = sampling.seed
        if self.reasoning:
            # Reasoning models reject temperature, top_p and stop.
            if self.reasoning_effort:
                request["reasoning_effort"] = self.reasoning_effort
            if sampling.stop or sampling.temperature:
                self._warn_once("reasoning", f"{self.model} is a reasoning model: temperature and stop are not sent")
            return request
        request["temperature"] = sampling.temperature
        if sampling.top_p < 1:
            request["top_p"] = sampling.top_p
        if sampling.stop:
            if len(sampling.stop) > MAX_STOP_SEQUENCES:
                self._warn_once(
                    "stop", f"OpenAI takes at most {MAX_STOP_SEQUENCES} stop sequences; the rest are dropped"
                )
            request["stop"] = list(sampling.stop[:MAX_STOP_SEQUENCES])
        return request

    async def _send(self, client: Any, request: dict[str, Any]) -> Any:
        return await client.chat.completions.create(**request)

    def _parse_response(self, conv: Conversation, response: Any) -> AssistantTurn:
        raw = raw_json(response)
        usage = response.usage
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        details = getattr(usage, "prompt_tokens_details", None)
        cached_in = int(getattr(details, "cached_tokens", 0) or 0)
        cost = self._cost(tokens_in, tokens_out, cached_in)
        if not response.choices:
            turn = self._error_turn(conv, "the response holds no choices (empty response)")
            turn.tokens_in, turn.tokens_out, turn.cost_usd, turn.raw = tokens_in, tokens_out, cost, raw
            return turn
        choice = response.choices[0]
        message = choice.message
        calls = [self._parse_call(call) for call in message.tool_calls or []]
        content = message.content or ""
        if conv.tools and not calls and content:
            content, calls = self._calls_in_text(conv, content)
        refusal = getattr(message, "refusal", None)
        if refusal:
            finish = "refusal"
            content = content or refusal
        elif choice.finish_reason is None:
            finish = "tool_calls" if calls else "stop"
        else:
            finish = FINISH_REASONS.get(choice.finish_reason, choice.finish_reason)
        if calls and finish == "stop":  # calls read from the text: the server saw a plain reply
            finish = "tool_calls"
        return AssistantTurn(
            content=content,
            tool_calls=calls,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost,
            finish_reason=finish,
            raw=raw,
        )

    def _calls_in_text(self, conv: Conversation, content: str) -> tuple[str, list[ParsedToolCall]]:
        """Text mode: the ``<tool_call>`` blocks of the reply. Native mode: the content as it came, and a
        warning if it holds what looks like a call the server did not return as ``tool_calls``."""
        text, calls = parse_tool_calls(content)
        if not calls:
            return content, []
        if self.text_tools:
            for index, call in enumerate(calls):
                call.id = stable_call_id(conv, index)
            return text, calls
        self.untaken_text_calls += 1
        self._warn_once(
            "untaken_text_calls",
            f"openai backend: {self._label(conv)}: the server returned no tool_calls, but the reply reads like "
            f"a tool call ({content[:80]!r}). Its chat template may ignore tools=, or it runs without a "
            "tool-call parser (vllm serve --enable-auto-tool-choice --tool-call-parser ...); "
            "tool_format=text (or auto) reads calls from the text. Counted in untaken_text_calls.",
        )
        return content, []

    @staticmethod
    def _parse_call(call: Any) -> ParsedToolCall:
        function = getattr(call, "function", None)
        if function is None:  # a non-function ("custom") tool call: no tool of ours has that shape
            return ParsedToolCall(
                name=str(getattr(call, "type", "unknown")),
                arguments=None,
                raw=call.model_dump_json(),
                parse_error="not a function call",
                id=getattr(call, "id", None),
            )
        arguments, error = parse_tool_arguments(function.arguments)
        raw = function.arguments if isinstance(function.arguments, str) else json.dumps(function.arguments, default=str)
        return ParsedToolCall(
            name=str(function.name or ""), arguments=arguments, raw=raw or "", parse_error=error, id=call.id
        )


def _prompt_tokens(response: Any) -> int | None:
    usage = getattr(response, "usage", None)
    tokens = getattr(usage, "prompt_tokens", None)
    return int(tokens) if tokens is not None else None
