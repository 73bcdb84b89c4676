"""Backends for the reliability tests, registered under a name so ``--model_args backend=...`` finds them."""

from __future__ import annotations

from typing import Any

from toolwise.bench.backends.base import AssistantTurn, Conversation
from toolwise.bench.backends.scripted import OracleBackend

# Which toy problems go wrong, and how: ids are "toy-mcq-000" ... "toy-mcq-011".
ERROR_TURN = {"toy-mcq-001", "toy-mcq-005"}  # the backend reports an error for this request
CRASHES_BATCH = "toy-mcq-007"  # the backend raises on any batch holding this problem


class FlakyOracle(OracleBackend):
    """The oracle, except for the problems above."""

    name = "flaky"

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        if any(c.problem.id == CRASHES_BATCH for c in conversations):
            raise AttributeError("'NoneType' object has no attribute 'tool_calls'")
        return [
            AssistantTurn(content="", error="HTTP 500 after 7 attempts") if c.problem.id in ERROR_TURN else turn
            for c, turn in zip(conversations, super().generate(conversations), strict=True)
        ]


class DeadBackend:
    """Every request fails, as with a server that refuses every connection and too few retries to notice."""

    name = "dead"

    def __init__(self, **_: Any) -> None:
        pass

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        return [AssistantTurn(content="", error="APIConnectionError: Connection refused") for _ in conversations]
