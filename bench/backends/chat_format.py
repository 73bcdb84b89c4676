"""What a local model's chat template is given, for evaluation (hf, vLLM) and training alike.

A checkpoint is only evaluable if it was trained on exactly the prompts evaluation sends, so the
``hf`` and ``vllm`` backends and ``training.rendering`` all build them here: native tool messages when
the template renders ``tools=`` (:func:`template_takes_tools`), else the text fallback of
``tool_parsing`` (schemas in the system prompt, calls and results as text); either way with the
tokenizer's special tokens defused in tool results (:func:`neutralise_tool_messages`), so a tool that
prints ``<|im_start|>`` cannot open a turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from toolwise.bench.backends.tool_parsing import PROBE_TOOL, text_fallback_messages

# End-of-turn markers of common chat families; generation stops at any that the vocabulary has.
END_OF_TURN_TOKENS = ("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "</s>", "<|endoftext|>")
ZERO_WIDTH_SPACE = "\u200b"


def template_takes_tools(tokenizer: Any) -> bool:
    """Does the chat template render the ``tools`` it is given?"""
    messages = [{"role": "user", "content": "hi"}]
    try:
        with_tools = tokenizer.apply_chat_template(messages, tools=[PROBE_TOOL], tokenize=False)
    except Exception:
        return False
    return "probe_tool_xyz" in str(with_tools)


def attach_response_parser(tokenizer: Any) -> bool:
    """Give the tokenizer a response template (trl knows the common families); True if it has one."""
    if getattr(tokenizer, "response_template", None) or getattr(tokenizer, "response_schema", None):
        return True
    try:
        from trl.chat_template_utils import add_response_schema

        add_response_schema(tokenizer)
    except Exception:  # trl missing or template unknown: the text fallback parser is used
        return False
    return bool(getattr(tokenizer, "response_template", None) or getattr(tokenizer, "response_schema", None))


def special_tokens(tokenizer: Any) -> list[str]:
    """Every token string the tokenizer treats as special (longest first, so none hides inside another)."""
    found = set(getattr(tokenizer, "all_special_tokens", []) or [])
    for token in (getattr(tokenizer, "added_tokens_decoder", None) or {}).values():
        if getattr(token, "special", False):
            found.add(str(token.content))
    return sorted((t for t in found if len(t) > 1), key=len, reverse=True)


def neutralise(text: str, tokens: Iterable[str]) -> str:
    """``text`` with a zero-width space after the first character of every special token in it: it reads the
    same, but the tokenizer no longer finds the token."""
    for token in tokens:
        if token in text:
            text = text.replace(token, token[0] + ZERO_WIDTH_SPACE + token[1:])
    return text


def neutralise_tool_messages(messages: list[dict[str, Any]], tokens: Sequence[str]) -> list[dict[str, Any]]:
    """The conversation with special tokens defused in tool results (the text a tool, not we, wrote)."""
    if not tokens:
        return messages
    out = []
    for message in messages:
        if message.get("role") == "tool" and isinstance(message.get("content"), str):
            message = {**message, "content": neutralise(message["content"], tokens)}
        out.append(message)
    return out


def chat_form(
    messages: list[dict[str, Any]], tools: Any, native_tools: bool, defused: Sequence[str] = ()
) -> tuple[list[dict[str, Any]], Any]:
    """The messages and tools a chat template is given: native tool messages, or (a template that ignores
    ``tools=``) the text fallback; the ``defused`` special tokens in tool results are defused either way."""
    safe = neutralise_tool_messages(messages, defused)
    if tools and native_tools:
        return [_template_message(m) for m in safe], tools
    return text_fallback_messages(safe, tools), None


def render_prompt(
    tokenizer: Any, messages: list[dict[str, Any]], tools: Any, native_tools: bool, defused: Sequence[str] = ()
) -> str:
    """The prompt text of a conversation, ending with the assistant generation prefix."""
    form_messages, form_tools = chat_form(messages, tools, native_tools, defused)
    return tokenizer.apply_chat_template(form_messages, tools=form_tools, add_generation_prompt=True, tokenize=False)


def read_chat_template(value: str | None) -> str | None:
    """A ``chat_template=`` model argument: the text of a ``.jinja`` file, or the template itself."""
    if value and value.endswith(".jinja"):
        return Path(value).read_text(encoding="utf-8")
    return value


def _template_message(message: dict[str, Any]) -> dict[str, Any]:
    """Our message as HF templates expect it (tool-call arguments as objects, never None content)."""
    out = dict(message)
    if out.get("content") is None:
        out["content"] = ""
    return out
