"""The answer call: a pseudo-tool through which a model gives its final answer directly.

The paper's code makes every reply in the tool-offering prompt a function call; a
direct answer calls ``answer_question`` with the solution. A model trained that way
is evaluated with ``answer_tool=true``: the loop then offers this schema after the
problem's own tools and reads a call of it as the final answer. It is never a tool
use: it runs nothing and does not count in ET/EN/HT/HN.
"""

from __future__ import annotations

from typing import Any

ANSWER_TOOL_NAME = "answer_question"


def answer_tool_schema() -> dict[str, Any]:
    """The OpenAI-style schema of the answer call (what the model sees, at training and at evaluation)."""
    return {
        "type": "function",
        "function": {
            "name": ANSWER_TOOL_NAME,
            "description": "Give your final answer directly, without computing anything with the other tools.",
            "parameters": {
                "type": "object",
                "properties": {
                    "answer": {
                        "type": "string",
                        "description": "Your worked solution, ending with the answer in the requested format.",
                    }
                },
                "required": ["answer"],
                "additionalProperties": False,
            },
        },
    }


def answer_from_call(arguments: Any) -> str:
    """The answer text of an answer call's arguments (whatever shape a model gave them)."""
    if isinstance(arguments, dict):
        value = arguments.get("answer", next(iter(arguments.values()), ""))
        return value if isinstance(value, str) else str(value)
    return "" if arguments is None else str(arguments)
