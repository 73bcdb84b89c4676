"""Reading tool calls out of generated text, for local models.

Preferred: the tokenizer's own response template (``tok.parse_response``;
trl's ``add_response_schema`` supplies one for Llama-3.x, Qwen, GLM, ...).
This module is the documented fallback, used when a template has none and for
the tools-in-system-prompt format of templates that ignore ``tools=``:

    <tool_call>
    {"name": "<tool name>", "arguments": {<JSON object>}}
    </tool_call>

It also reads the Llama-3.1 JSON form (``{"name": ..., "parameters": ...}``,
optionally after ``<|python_tag|>``) and Mistral's ``[TOOL_CALLS] [...]``.
A block that is not valid JSON still becomes a call with ``parse_error`` set:
the model tried to use a tool, and the loop tells it what went wrong.
"""

from __future__ import annotations

import json
import re
from typing import Any

from toolwise.bench.backends.base import ParsedToolCall

FALLBACK_INSTRUCTIONS = (
    "You can call the following tools. To call a tool, reply with only one or more blocks of the form\n"
    "<tool_call>\n"
    '{"name": "<tool name>", "arguments": {<arguments as a JSON object>}}\n'
    "</tool_call>\n"
    "The results come back in the next message. Tools (parameters are numbers unless a type is shown; "
    "name? = optional, a|b = one of, [x] = list of x):\n"
)

# A tool to test whether a chat template (a local model's or a server's) renders the tools it is given.
PROBE_TOOL = {
    "type": "function",
    "function": {
        "name": "probe_tool_xyz",
        "description": "A probe: does the chat template render the tools it is given?",
        "parameters": {"type": "object", "properties": {"x": {"type": "number", "description": "x"}}},
    },
}

# Bounds this wide are sanity limits, not physics: listing them only costs prompt tokens.
_SANITY_BOUND = 1e6
_SUMMARY_CHARS = 72

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_NAME = re.compile(r'"name"\s*:\s*"([^"]+)"')
_MISTRAL = re.compile(r"\[TOOL_CALLS\]\s*(.*)", re.S)


def fallback_tools_prompt(tools: list[dict[str, Any]]) -> str:
    """The system-prompt text that describes the tools to a template that ignores ``tools=``.

    One line per tool (name, typed parameters with their ranges, what it does), not the JSON schemas: a
    small model reads ~10x fewer tokens (the three PDE tools take under 1,000 characters, not 10,528).
    """
    return FALLBACK_INSTRUCTIONS + "\n".join(compact_tool_line(t) for t in tools)


def compact_tool_line(tool: dict[str, Any]) -> str:
    """``- name(param: type range, opt?: type): first sentence of the description``."""
    function = tool.get("function", tool)
    parameters = function.get("parameters") or {}
    required = set(parameters.get("required") or [])
    params = [
        f"{name}{'' if name in required else '?'}{_compact_type(schema)}"
        for name, schema in (parameters.get("properties") or {}).items()
    ]
    return f"- {function.get('name', '?')}({', '.join(params)}): {_summary(function.get('description') or '')}"


def _summary(description: str) -> str:
    text = " ".join(description.split())
    cut = text.find(". ")
    text = text[: cut + 1] if cut >= 0 else text
    if len(text) <= _SUMMARY_CHARS:
        return text
    return text[:_SUMMARY_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _compact_type(schema: dict[str, Any]) -> str:
    """A parameter's type after its name: ' >0' for a number, ': int [1..10]', ': a|b', ': [number]'."""
    text = _type_text(schema)
    return text if text.startswith(" ") or not text else f": {text}"


def _type_text(schema: dict[str, Any]) -> str:
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        return _type_text(options[0])
    if options:
        return " or ".join(_type_text(s).strip() or "number" for s in options)
    if "enum" in schema:
        return "|".join(str(v) for v in schema["enum"])
    kind = schema.get("type", "object" if "$ref" in schema else "any")
    if kind == "number":
        return _compact_range(schema)
    if kind == "array":
        return f"[{_type_text(schema.get('items') or {}).strip() or 'number'}]"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"{{name: number{_compact_range(schema['additionalProperties'])}}}"
    return {"integer": "int", "string": "str", "boolean": "bool"}.get(kind, kind) + _compact_range(schema)


def _compact_range(schema: dict[str, Any]) -> str:
    def bound(key: str) -> float | None:
        value = schema.get(key)
        if not isinstance(value, int | float) or abs(value) >= _SANITY_BOUND:
            return None
        # A tiny positive minimum (1e-9: no denormals) means "positive"; shown as >0.
        return 0 if key in ("minimum", "exclusiveMinimum") and 0 < value < 1 / _SANITY_BOUND else value

    low, low_open = (bound("minimum"), False) if bound("minimum") is not None else (bound("exclusiveMinimum"), True)
    low_open = low_open or (low == 0 and 0 < (schema.get("minimum") or 0) < 1 / _SANITY_BOUND)
    high, high_open = (bound("maximum"), False) if bound("maximum") is not None else (bound("exclusiveMaximum"), True)
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'>' if low_open else '>='}{_number(low)}"
    if low is None:
        return f" {'<' if high_open else '<='}{_number(high)}"
    return f" {'(' if low_open else '['}{_number(low)}..{_number(high)}{')' if high_open else ']'}"


def _number(value: float | None) -> str:
    return f"{value:g}"


def _call_from_object(obj: Any, raw: str) -> ParsedToolCall:
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        return ParsedToolCall(name="<unnamed>", arguments=None, raw=raw, parse_error="a tool call needs a 'name'")
    args = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError as exc:
            return ParsedToolCall(obj["name"], None, raw, f"arguments are not valid JSON: {exc.msg}")
    if not isinstance(args, dict):
        return ParsedToolCall(obj["name"], None, raw, "arguments must be a JSON object")
    return ParsedToolCall(name=obj["name"], arguments=args, raw=raw)


def _call_from_text(block: str) -> ParsedToolCall:
    try:
        return _call_from_object(json.loads(block), block)
    except json.JSONDecodeError as exc:
        name = _NAME.search(block)
        return ParsedToolCall(
            name=name.group(1) if name else "<unparsed>",
            arguments=None,
            raw=block,
            parse_error=f"not valid JSON ({exc.msg} at position {exc.pos})",
        )


def parse_tool_calls(text: str) -> tuple[str, list[ParsedToolCall]]:
    """Split generated text into (content, tool calls) using the formats above."""
    if "<tool_call>" in text:
        calls = [_call_from_text(block) for block in _TAGGED.findall(text)]
        content = _TAGGED.sub("", text).strip()
        return content, calls
    mistral = _MISTRAL.search(text)
    if mistral:
        try:
            objs = json.loads(mistral.group(1).strip())
            objs = objs if isinstance(objs, list) else [objs]
            return text[: mistral.start()].strip(), [_call_from_object(o, json.dumps(o)) for o in objs]
        except json.JSONDecodeError as exc:
            return "", [ParsedToolCall("<unparsed>", None, mistral.group(1), f"not valid JSON ({exc.msg})")]
    tagged = "<|python_tag|>" in text
    stripped = text.replace("<|python_tag|>", "").strip()
    if stripped.startswith("{") and _NAME.search(stripped):
        # Llama-3.1 style: the whole message is one JSON call (several may be separated by ';').
        blocks = [b.strip() for b in stripped.split(";") if b.strip()] if "};" in stripped else [stripped]
        # Untagged JSON is a call only in the call format; a JSON answer with a "name" key is an answer.
        if tagged or all(_looks_like_call(b) for b in blocks):
            return "", [_call_from_text(b) for b in blocks]
    return text.strip(), []


_CALL_KEYS = frozenset({"name", "arguments", "parameters", "type", "id"})
_CALL_START = re.compile(r'\{\s*"name"\s*:\s*"[^"]*"\s*,\s*"(?:arguments|parameters)"\s*:')


def _looks_like_call(block: str) -> bool:
    """``{"name": "<str>", "arguments"|"parameters": {...}}`` and nothing else; unparsable JSON that starts that way
    is a malformed call (a tool attempt)."""
    try:
        obj = json.loads(block)
    except (json.JSONDecodeError, RecursionError):
        return _CALL_START.match(block) is not None
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("name"), str)
        and ("arguments" in obj or "parameters" in obj)
        and set(obj) <= _CALL_KEYS
    )


def calls_from_parsed_message(message: dict[str, Any]) -> list[ParsedToolCall]:
    """Tool calls of a message returned by ``tokenizer.parse_response``."""
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function", call)
        raw = json.dumps(function, ensure_ascii=False, default=str)
        calls.append(_call_from_object(function, raw))
    return calls


def plain_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool traffic as plain text, for templates that know only system/user/assistant: calls become the
    ``<tool_call>`` blocks above, results a user message naming the tool."""
    plain = []
    for m in messages:
        if m["role"] == "assistant" and m.get("tool_calls"):
            blocks = [
                "<tool_call>\n"
                + json.dumps({"name": c["function"]["name"], "arguments": c["function"]["arguments"]})
                + "\n</tool_call>"
                for c in m["tool_calls"]
            ]
            text = "\n".join(([m["content"]] if m.get("content") else []) + blocks)
            plain.append({"role": "assistant", "content": text})
        elif m["role"] == "tool":
            plain.append({"role": "user", "content": f"Result of tool '{m.get('name')}':\n{m.get('content')}"})
        else:
            plain.append({"role": m["role"], "content": m.get("content") or ""})
    return plain


def text_fallback_messages(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """A conversation for a chat template that ignores ``tools=`` (a local model's or a server's): the tools
    described in the system prompt (``fallback_tools_prompt``), tool traffic as plain text."""
    plain = plain_messages(messages)
    if tools:
        extra = fallback_tools_prompt(tools)
        if plain and plain[0]["role"] == "system":
            plain[0] = {"role": "system", "content": f"{plain[0]['content']}\n\n{extra}"}
        else:
            plain.insert(0, {"role": "system", "content": extra})
    return plain
