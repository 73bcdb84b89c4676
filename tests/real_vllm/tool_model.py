"""A tiny model that calls a tool, trained in about a minute on a CPU, for the real-engine tests.

A teacher backend answers the toy task through the real lm-eval run (so every prompt is the one the
engines will see) as the toy oracle does: a x b is known for even a; for odd a it guesses wrong without
tools and, offered them, calls ``toy_multiply`` and answers from the result. A small Llama with a ChatML template that ignores ``tools=``
(so every engine uses the text fallback: tools in the system prompt, ``<tool_call>`` blocks) learns
those replies by heart. Its head size (64) is one vLLM's CPU attention supports.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

from toolwise.bench.backends import BACKENDS
from toolwise.bench.backends.base import AssistantTurn, Conversation, ParsedToolCall, stable_call_id
from toolwise.bench.backends.tool_parsing import text_fallback_messages

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<|im_start|>", "<|im_end|>", "<|pad|>"]
QUESTION = re.compile(r"What is (\d+) times (\d+)\?")
log = logging.getLogger(__name__)


def call_text(a: int, b: int) -> str:
    return "<tool_call>\n" + json.dumps({"name": "toy_multiply", "arguments": {"a": a, "b": b}}) + "\n</tool_call>"


class TeacherBackend:
    """Answers as the trained model should, and records each (conversation, reply) it gave."""

    name = "teacher"
    seen: list[tuple[list[dict[str, Any]], list[dict[str, Any]] | None, str]] = []  # noqa: RUF012

    def __init__(self, **_: Any) -> None:
        pass

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        turns = []
        for conv in conversations:
            question = next(QUESTION.search(m["content"]) for m in conv.messages if QUESTION.search(m["content"] or ""))
            a, b = (int(x) for x in question.groups())
            tool_result = any(m["role"] == "tool" for m in conv.messages)
            if conv.tools and a % 2 == 1 and not tool_result:
                text = call_text(a, b)
                calls = [ParsedToolCall("toy_multiply", {"a": a, "b": b}, raw=text, id=stable_call_id(conv, 0))]
                turn = AssistantTurn(content="", tool_calls=calls, finish_reason="tool_calls")
            else:
                text = f"The tool says {a * b}, so the answer is {a * b}" if tool_result else f"the answer is {a * b}"
                if a % 2 == 1 and not conv.tools:
                    text = f"the answer is {2 * a * b}"  # a wrong guess: these are the problems that need the tool
                turn = AssistantTurn(content=text)
            TeacherBackend.seen.append((copy.deepcopy(conv.messages), conv.tools, text))
            turns.append(turn)
        return turns


def teacher_examples(manager: Any, limit: int) -> list[tuple[list[dict[str, Any]], str]]:
    """(chat messages as the text fallback renders them, target reply) for every turn of the toy task."""
    from toolwise.bench.evaluate import evaluate

    BACKENDS["teacher"] = f"{__name__}:TeacherBackend"
    TeacherBackend.seen = []
    evaluate(["toy_numeric_tool"], {"backend": "teacher"}, limit=limit, manager=manager)
    return [(text_fallback_messages(messages, tools), target) for messages, tools, target in TeacherBackend.seen]


def cached_tool_caller(cache_root: Path, manager: Any, limit: int = 2, max_steps: int = 500) -> Path:
    """The trained model from ``cache_root`` when the same examples and this file's code made it, else trained
    and stored there: training takes minutes on a loaded machine, and every engine test reads the same model."""
    examples = teacher_examples(manager, limit)
    digest = hashlib.sha256(json.dumps([examples, max_steps], sort_keys=True).encode())
    digest.update(Path(__file__).read_bytes())
    directory = cache_root / f"tool-caller-{digest.hexdigest()[:16]}"
    if (directory / "model.safetensors").is_file():
        log.info("tool caller: reusing %s", directory)
        return directory
    partial = directory.with_name(directory.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    build_tool_caller(partial, manager, limit, max_steps, examples=examples)
    partial.rename(directory)
    return directory


def build_tool_caller(
    directory: Path,
    manager: Any,
    limit: int = 2,
    max_steps: int = 500,
    examples: list[tuple[list[dict[str, Any]], str]] | None = None,
) -> Path:
    """Train and save the model (tokenizer with its chat template, safetensors, generation config)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    examples = examples if examples is not None else teacher_examples(manager, limit)
    corpus = [m["content"] for messages, _ in examples for m in messages] + [t for _, t in examples]
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=1024, special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|pad|>")
    tokenizer.chat_template = CHATML
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    rows = []
    for messages, target in examples:
        prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        target_ids = tokenizer(target + "<|im_end|>", add_special_tokens=False)["input_ids"]
        rows.append((prompt_ids + target_ids, [-100] * len(prompt_ids) + target_ids))
    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.tensor([ids + [tokenizer.pad_token_id] * (width - len(ids)) for ids, _ in rows])
    labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in rows])
    mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in rows])
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for step in range(max_steps):
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if loss.item() < 2e-3:  # by heart: greedy decoding reproduces every reply
            break
        if step % 25 == 0:
            log.info("tool caller: step %d, loss %.4f", step, loss.item())
    model.eval()
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
