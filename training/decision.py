"""The tool decision as a probability: how likely a model is to open a tool call on a problem.

Greedy decoding turns P(call) = 0.45 into "never calls": the tool rate alone
hides how close a model is to adapting. This reads the probability off one
forward pass on exactly the prompt the harness sends in ``choice`` mode
(``HFBackend.render``): P(the reply starts with the call opening), minus, when
the answer tool is offered, P(it opens a call of ``answer_question``), which is
a direct answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from toolwise.bench.answer_tool import ANSWER_TOOL_NAME, answer_tool_schema
from toolwise.bench.backends.base import Conversation
from toolwise.bench.backends.chat_format import chat_form
from toolwise.bench.backends.hf import HFBackend
from toolwise.bench.loop import tool_schemas
from toolwise.bench.problem import Problem
from toolwise.bench.prompts import opening_messages

_NAME_MARK = "toolwise_name_mark"


def call_opening(backend: HFBackend, conversation: Conversation) -> str:
    """The text a reply starts with when it calls a tool, up to the tool's name (in this model's format)."""
    prompt = backend.render(conversation)
    call = {"id": "c0", "type": "function", "function": {"name": _NAME_MARK, "arguments": {}}}
    with_call = Conversation(
        problem=conversation.problem,
        mode=conversation.mode,
        messages=[*conversation.messages, {"role": "assistant", "content": "", "tool_calls": [call]}],
        tools=conversation.tools,
        sampling=conversation.sampling,
    )
    rendered = _render_finished(backend, with_call)
    shared = len(_common_prefix(prompt, rendered))
    start = rendered.find(_NAME_MARK, shared)
    if shared < len(prompt) or start < 0:
        raise ValueError("the chat template does not extend the prompt with the call; cannot read its opening")
    return rendered[shared:start]


def _render_finished(backend: HFBackend, conversation: Conversation) -> str:
    """The conversation with its last assistant turn rendered (no generation prompt)."""
    messages, tools = chat_form(conversation.messages, conversation.tools, backend.native_tools, backend.special_tokens)
    return backend.tokenizer.apply_chat_template(messages, tools=tools, tokenize=False)


def _common_prefix(a: str, b: str) -> str:
    return a[: next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))]


@torch.no_grad()
def continuation_logprob(backend: HFBackend, prompt: str, continuation: str) -> float:
    """log P(continuation | prompt) under the backend's model."""
    tok = backend.tokenizer
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    full_ids = tok(prompt + continuation, add_special_tokens=False)["input_ids"]
    if full_ids[: len(prompt_ids)] != prompt_ids:
        raise ValueError("the prompt's tokens change when the continuation is appended")
    ids = torch.tensor([full_ids], device=backend.device)
    logits = backend.model(input_ids=ids).logits[0].float()
    logprobs = torch.log_softmax(logits[:-1], dim=-1)
    targets = ids[0, 1:]
    picked = logprobs.gather(1, targets[:, None])[:, 0]
    return float(picked[len(prompt_ids) - 1 :].sum())


def call_probability(backend: HFBackend, problem: Problem, answer_tool: bool = False) -> float:
    """P(the model opens a real tool call) on ``problem`` in choice mode."""
    tools = tool_schemas(problem) + ([answer_tool_schema()] if answer_tool else [])
    conversation = Conversation(
        problem=problem, mode="choice", messages=opening_messages(problem, "choice"), tools=tools, sampling={}
    )
    prompt = backend.render(conversation)
    opening = call_opening(backend, conversation)
    p_open = math.exp(continuation_logprob(backend, prompt, opening))
    if answer_tool:
        p_open -= math.exp(continuation_logprob(backend, prompt, opening + ANSWER_TOOL_NAME))
    return min(max(p_open, 0.0), 1.0)


def call_probabilities(backend: HFBackend, problems: Iterable[Problem], answer_tool: bool = False) -> list[float]:
    return [call_probability(backend, p, answer_tool) for p in problems]
