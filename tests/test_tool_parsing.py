"""The text fallback parser reads the common tool-call formats and keeps malformed attempts."""

from __future__ import annotations

import pytest

from toolwise.bench.backends.tool_parsing import calls_from_parsed_message, parse_tool_calls


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<tool_call>\n{"name": "f", "arguments": {"x": 1}}\n</tool_call>', [("f", {"x": 1})]),
        (
            'Let me compute.\n<tool_call>{"name": "f", "arguments": {"x": 1}}</tool_call>\n'
            '<tool_call>{"name": "g", "arguments": "{\\"y\\": 2}"}</tool_call>',
            [("f", {"x": 1}), ("g", {"y": 2})],
        ),
        ('{"name": "f", "parameters": {"x": 1}}', [("f", {"x": 1})]),
        (
            '<|python_tag|>{"name": "f", "parameters": {"x": 1}}; {"name": "g", "parameters": {}}',
            [("f", {"x": 1}), ("g", {})],
        ),
        ('[TOOL_CALLS] [{"name": "f", "arguments": {"x": 1}}]', [("f", {"x": 1})]),
    ],
)
def test_known_formats(text: str, expected: list[tuple[str, dict]]) -> None:
    _, calls = parse_tool_calls(text)
    assert [(c.name, c.arguments) for c in calls] == expected
    assert all(c.parse_error is None for c in calls)


@pytest.mark.parametrize(
    ("text", "name", "error"),
    [
        ('<tool_call>{"name": "f", "arguments": {"x": }}</tool_call>', "f", "not valid JSON"),
        ("<tool_call>{'name': 'f'}</tool_call>", "<unparsed>", "not valid JSON"),
        ('<tool_call>{"arguments": {"x": 1}}</tool_call>', "<unnamed>", "needs a 'name'"),
        ('<tool_call>{"name": "f", "arguments": [1, 2]}</tool_call>', "f", "must be a JSON object"),
        ('<tool_call>{"name": "f", "arguments": "{x: 1}"}</tool_call>', "f", "arguments are not valid JSON"),
        ('<tool_call>{"name": "f", "arguments": {"x": 1}', "f", "not valid JSON"),  # cut at the token limit
        ('[TOOL_CALLS] [{"name": "f", "arguments": {"x": 1}', "<unparsed>", "not valid JSON"),
    ],
)
def test_malformed_calls_are_attempts_with_a_reason(text: str, name: str, error: str | None) -> None:
    _, calls = parse_tool_calls(text)
    assert len(calls) == 1 and calls[0].name == name
    if error is None:
        assert calls[0].parse_error is None
    else:
        assert error in calls[0].parse_error and calls[0].arguments is None


def test_plain_answers_have_no_calls() -> None:
    for text in ("the answer is B", "Answer: {x: 1} is a set", "I would call a tool but {no}"):
        content, calls = parse_tool_calls(text)
        assert calls == [] and content == text


def test_parsed_message_from_a_response_template() -> None:
    message = {
        "role": "assistant",
        "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"x": 1}}}],
    }
    [call] = calls_from_parsed_message(message)
    assert (call.name, call.arguments) == ("f", {"x": 1})
