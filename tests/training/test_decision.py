"""P(tool call) read off one forward pass on the exact choice-mode prompt, in each chat format."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from train_helpers import train_problems

from toolwise.bench.answer_tool import ANSWER_TOOL_NAME, answer_tool_schema
from toolwise.bench.backends.base import Conversation
from toolwise.bench.backends.hf import HFBackend
from toolwise.bench.loop import tool_schemas
from toolwise.bench.prompts import opening_messages
from toolwise.training.decision import call_opening, call_probability, continuation_logprob

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(scope="module")
def backends(tiny_llama_dir: Path) -> dict[str, HFBackend]:
    native = HFBackend(str(tiny_llama_dir), device="cpu")
    text = HFBackend(str(tiny_llama_dir), device="cpu", chat_template=CHATML)
    return {"native": native, "text": text}


def _conversation(problem) -> Conversation:  # type: ignore[no-untyped-def]
    return Conversation(
        problem=problem, mode="choice", messages=opening_messages(problem, "choice"), tools=tool_schemas(problem)
    )


def test_the_call_opening_is_what_each_format_writes_before_the_tool_name(backends: dict[str, HFBackend]) -> None:
    conversation = _conversation(train_problems(1)[0])
    assert backends["text"].native_tools is False
    assert call_opening(backends["text"], conversation) == '<tool_call>\n{"name": "'
    native = call_opening(backends["native"], conversation)
    assert native.endswith('"name": "') and "<|start_header_id|>" not in native


def test_probabilities_are_the_models_own_and_the_answer_call_is_not_a_tool_use(
    backends: dict[str, HFBackend],
) -> None:
    problem = train_problems(1)[0]
    backend = backends["text"]
    p_open = call_probability(backend, problem)
    prompt = backend.render(_conversation(problem))
    assert p_open == pytest.approx(math.exp(continuation_logprob(backend, prompt, '<tool_call>\n{"name": "')))
    # With the answer call offered, the probability of opening a call of answer_question is taken out.
    with_answer = Conversation(
        problem=problem,
        mode="choice",
        messages=opening_messages(problem, "choice"),
        tools=[*tool_schemas(problem), answer_tool_schema()],
    )
    prompt_with_answer = backend.render(with_answer)
    opening = '<tool_call>\n{"name": "'
    expected = math.exp(continuation_logprob(backend, prompt_with_answer, opening)) - math.exp(
        continuation_logprob(backend, prompt_with_answer, opening + ANSWER_TOOL_NAME)
    )
    assert call_probability(backend, problem, answer_tool=True) == pytest.approx(max(expected, 0.0))
    assert continuation_logprob(backend, prompt, "") == 0.0
